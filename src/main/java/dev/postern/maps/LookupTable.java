package dev.postern.maps;

import java.util.Optional;

/**
 * A Postfix lookup table ({@code type:name}). {@link Optional#empty()} means "not found";
 * {@link LookupException} means "could not tell" (temporary failure) and must make callers defer,
 * never treat it as not found.
 */
public interface LookupTable {
    Optional<String> lookup(String key) throws LookupException;

    /** The {@code type:name} this table was opened from. */
    String spec();
}

package dev.postern.maps;

import java.util.Optional;

/**
 * A Postfix lookup table ({@code type:name}). {@link Optional#empty()} means "not found";
 * {@link LookupException} means "could not tell" (temporary failure) and must make callers defer,
 * never treat it as not found.
 */
public interface LookupTable {
    Optional<String> lookup(String key) throws LookupException;

    /**
     * True for fixed-string tables (hash, texthash, inline, static): callers may search partial keys
     * (domain, user@). False for regexp and cidr, which Postfix only asks about the entire string
     * (access(5): "user@domain mail addresses are not broken up").
     */
    default boolean fixed() {
        return true;
    }

    /** The {@code type:name} this table was opened from. */
    String spec();
}

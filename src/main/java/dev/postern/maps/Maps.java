package dev.postern.maps;

/**
 * Opens lookup tables by Postfix spec: {@code hash:/path}, {@code texthash:/path},
 * {@code inline:{k=v, ...}}, {@code static:value}, {@code cidr:/path}, {@code regexp:/path}.
 * SKELETON: implemented by the maps package owner.
 */
public final class Maps {
    private Maps() {}

    /** @throws IllegalArgumentException with a user-facing message naming file and line for bad tables */
    public static LookupTable open(String spec) {
        throw new IllegalArgumentException("unsupported map: " + spec);
    }
}

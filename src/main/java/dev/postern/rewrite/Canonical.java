package dev.postern.rewrite;

import dev.postern.maps.LookupException;

import java.util.List;
import java.util.Optional;

/**
 * One address to one (Postfix's cleanup_map11_external(), used for canonical_maps and its sender
 * and recipient forms, and for smtp_generic_maps): the result is looked up again, at most
 * {@value #MAX_RECURSION} times, until an address maps to itself (compared ignoring case) or to
 * nothing. Only the first address of a list result counts (Postfix warns "multi-valued ... entry").
 * Past the tenth lookup (a loop) Postfix warns "unreasonable ... map nesting ... message not
 * accepted" yet accepts the message with the tenth result, and so does this.
 */
public final class Canonical {
    /** Postfix's MAX_RECURSION in cleanup_map11.c and smtp_map11.c. */
    static final int MAX_RECURSION = 10;

    private Canonical() {}

    /**
     * @param warn receives Postfix's warnings without the queue ID ("multi-valued canonical_maps entry for x")
     * @return the rewritten address, or {@code address} itself when nothing matched
     * @throws RewriteException a table could not answer
     */
    public static String map(AddressMap map, String address, boolean propagate, java.util.function.Consumer<String> warn)
            throws RewriteException {
        String current = address;
        for (int count = 0; count < MAX_RECURSION; count++) {
            Optional<List<String>> found;
            try {
                found = map.map(current, propagate);
            } catch (LookupException e) {
                throw new RewriteException(map.title() + " map lookup problem for " + current
                        + " -- message not accepted, try again later", false);
            }
            if (found.isEmpty()) {
                return current;
            }
            List<String> next = found.get();
            if (next.size() > 1) {
                warn.accept("multi-valued " + map.title() + " entry for " + current);
            }
            String saved = current;
            current = next.get(0);
            if (saved.equalsIgnoreCase(current)) {
                return current;
            }
        }
        // Postfix 3.7 (and later) warns with these words but sets no error: the message is accepted
        // with the address the tenth lookup gave (cleanup_map11.c, after the loop).
        warn.accept("unreasonable " + map.title() + " map nesting for " + current
                + " -- message not accepted, try again later");
        return current;
    }
}

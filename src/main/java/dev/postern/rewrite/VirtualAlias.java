package dev.postern.rewrite;

import dev.postern.maps.LookupException;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One address to many (Postfix's cleanup_map1n_internal(), for virtual_alias_maps): each address
 * of a result is looked up again until no table knows it; an address that maps to a list holding
 * itself is kept, once, and not expanded again. Limits as in Postfix: at most
 * virtual_alias_recursion_limit rounds for one address, virtual_alias_expansion_limit addresses in
 * all, virtual_alias_address_length_limit characters per result; past one the message is not
 * accepted ("4.6.0 Alias expansion error").
 */
public final class VirtualAlias {
    private final AddressMap map;
    private final int recursionLimit;
    private final int expansionLimit;
    private final int addressLengthLimit;

    public VirtualAlias(AddressMap map, int recursionLimit, int expansionLimit, int addressLengthLimit) {
        this.map = map;
        this.recursionLimit = recursionLimit;
        this.expansionLimit = expansionLimit;
        this.addressLengthLimit = addressLengthLimit;
    }

    public boolean isEmpty() {
        return map.isEmpty();
    }

    /** The addresses {@code address} expands to, in Postfix's order; {@code [address]} when no table knows it. */
    public List<String> expand(String address, boolean propagate) throws RewriteException {
        List<String> argv = new ArrayList<>(List.of(address));
        Set<String> beenHere = new HashSet<>(); // been_here_fixed() with BH_FLAG_FOLD: case-folded
        for (int arg = 0; arg < argv.size(); arg++) {
            if (argv.size() > expansionLimit) {
                throw new RewriteException("unreasonable " + map.title() + " map expansion size for " + address
                        + " -- message not accepted, try again later", true);
            }
            for (int count = 0; ; count++) {
                if (beenHere.contains(fold(argv.get(arg)))) {
                    break;
                }
                if (count >= recursionLimit) {
                    throw new RewriteException("unreasonable " + map.title() + " map nesting for " + address
                            + " -- message not accepted, try again later", true);
                }
                Optional<List<String>> lookup;
                try {
                    lookup = map.map(argv.get(arg), propagate);
                } catch (LookupException e) {
                    // Postfix: CLEANUP_STAT_WRITE, so smtpd answers "451 4.3.0 Error: queue file write error"
                    throw new RewriteException(map.title() + " map lookup problem for " + address
                            + " -- message not accepted, try again later", false);
                }
                if (lookup.isEmpty()) {
                    break;
                }
                String savedLhs = argv.get(arg);
                List<String> results = lookup.get();
                for (int i = 0; i < results.size(); i++) {
                    String r = results.get(i);
                    if (r.length() > addressLengthLimit) {
                        throw new RewriteException("unreasonable " + map.title() + " result "
                                + (r.length() > 300 ? r.substring(0, 300) : r) + "... -- message not accepted, try again later", true);
                    }
                    if (i == 0) {
                        argv.set(arg, r);
                    } else {
                        argv.add(r);
                    }
                    if (savedLhs.equalsIgnoreCase(r)) { // allow an address to expand into itself once
                        beenHere.add(fold(savedLhs));
                    }
                }
            }
        }
        return argv;
    }

    private static String fold(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}

package dev.postern.rewrite;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Postfix's cleanup_masquerade_external(): an address in a subdomain of a masquerade_domains entry
 * gets that entry as its domain ({@code user@host.example.com} becomes {@code user@example.com}
 * for {@code example.com}). The list is searched in order and the first entry that is the domain
 * or a parent of it decides; {@code !name} (an odd number of !) matches but does not rewrite, so
 * {@code !sub.example.com, example.com} keeps sub.example.com. Local parts in
 * masquerade_exceptions (compared ignoring case) are left alone.
 */
public final class Masquerade {
    private final List<String> domains;
    private final Set<String> exceptions;

    public Masquerade(List<String> masqueradeDomains, List<String> masqueradeExceptions) {
        this.domains = List.copyOf(masqueradeDomains);
        this.exceptions = Set.copyOf(masqueradeExceptions.stream().map(e -> e.toLowerCase(Locale.ROOT)).toList());
    }

    public boolean isEmpty() {
        return domains.isEmpty();
    }

    /** The address masqueraded, or itself. */
    public String apply(String address) {
        int at = LocalRewrite.lastAt(address);
        if (at < 0) {
            return address;
        }
        String domain = address.substring(at + 1).toLowerCase(Locale.ROOT);
        if (!exceptions.isEmpty() && exceptions.contains(address.substring(0, at).toLowerCase(Locale.ROOT))) {
            return address;
        }
        for (String entry : domains) {
            boolean truncate = true;
            String masq = entry;
            while (masq.startsWith("!")) {
                truncate = !truncate;
                masq = masq.substring(1);
            }
            masq = masq.toLowerCase(Locale.ROOT);
            if (masq.isEmpty()) {
                continue;
            }
            if (masq.length() == domain.length()) {
                if (masq.equals(domain)) {
                    break;
                }
            } else if (masq.length() < domain.length()) {
                int start = domain.length() - masq.length();
                if (domain.charAt(start - 1) == '.' && domain.endsWith(masq)) {
                    return truncate ? address.substring(0, at + 1) + masq : address;
                }
            }
        }
        return address;
    }
}

package dev.postern.smtp;

import dev.postern.maps.AddressSearch;
import dev.postern.maps.AddressSearch.Key;
import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.mail.MailAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * smtp_sasl_password_maps searched as Postfix's smtp_sasl_passwd_lookup() does: with
 * smtp_sender_dependent_authentication, the sender first (mail_addr_find's default forms, the
 * same {@link AddressSearch} as sender_dependent_relayhost_maps: {@code user+ext@domain},
 * {@code user@domain}, for local domains {@code user+ext} and {@code user}, {@code @domain};
 * regexp and cidr tables only see the whole address), then the name of the server host being talked to, then the next
 * hop verbatim ({@code [host]:port}, {@code [host]}, {@code domain}). Every table is asked
 * about one key before the next key is tried. Values are {@code username:password}, split at
 * the first colon (the password may contain colons, as in Postfix).
 */
final class PasswordLookup {
    /** The secret and where it came from. {@link #toString()} never shows the password. */
    record Credentials(String username, String password, String table, String key) {
        @Override
        public String toString() {
            return "Credentials[username=" + username + ", table=" + table + ", key=" + key + "]";
        }
    }

    private PasswordLookup() {}

    /**
     * @param sender  the envelope sender, null for the null sender
     * @param host    the server's host name (Postfix's iter->host)
     * @param nexthop the next hop as the router gave it (Postfix's iter->dest)
     */
    static Optional<Credentials> find(SaslSettings s, MailAddress sender, String host, String nexthop) throws LookupException {
        for (Key k : keys(s, sender, host, nexthop)) {
            for (LookupTable t : s.passwordMaps()) {
                if (k.partial() && !t.fixed()) {
                    continue;
                }
                Optional<String> v = t.lookup(k.text());
                if (v.isPresent()) {
                    String value = v.get();
                    int colon = value.indexOf(':');
                    return Optional.of(new Credentials(colon < 0 ? value : value.substring(0, colon),
                            colon < 0 ? "" : value.substring(colon + 1), t.spec(), k.text()));
                }
            }
        }
        return Optional.empty();
    }

    /** The keys in order; partial keys (parts of an address) are only for fixed-string tables. */
    static List<Key> keys(SaslSettings s, MailAddress sender, String host, String nexthop) {
        List<Key> keys = new ArrayList<>();
        if (s.senderDependent() && sender != null) {
            AddressSearch search = new AddressSearch(s.recipientDelimiter(), d -> s.localDomains().contains(d));
            keys.addAll(search.keys(sender.toString(), AddressSearch.DEFAULT));
        }
        if (host != null && !host.isEmpty()) {
            keys.add(new Key(host, false));
        }
        if (!nexthop.equalsIgnoreCase(host)) {
            keys.add(new Key(nexthop, false));
        }
        return keys;
    }
}

package dev.postern.smtp;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.mail.MailAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * smtp_sasl_password_maps searched as Postfix's smtp_sasl_passwd_lookup() does: with
 * smtp_sender_dependent_authentication, the sender first (mail_addr_find's default forms:
 * {@code user+ext@domain}, {@code user@domain}, {@code @domain}; regexp and cidr tables only
 * see the whole address), then the name of the server host being talked to, then the next
 * hop verbatim ({@code [host]:port}, {@code [host]}, {@code domain}). Every table is asked
 * about one key before the next key is tried. Values are {@code username:password}, split at
 * the first colon (the password may contain colons, as in Postfix). Not done: Postfix's bare
 * {@code user} key for senders in local domains (mydestination), which a relaying desktop MTA
 * does not have.
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
                if (k.partial && !t.fixed()) {
                    continue;
                }
                Optional<String> v = t.lookup(k.text);
                if (v.isPresent()) {
                    String value = v.get();
                    int colon = value.indexOf(':');
                    return Optional.of(new Credentials(colon < 0 ? value : value.substring(0, colon),
                            colon < 0 ? "" : value.substring(colon + 1), t.spec(), k.text));
                }
            }
        }
        return Optional.empty();
    }

    /** A lookup key; {@code partial} keys (parts of an address) are only for fixed-string tables. */
    record Key(String text, boolean partial) {
    }

    static List<Key> keys(SaslSettings s, MailAddress sender, String host, String nexthop) {
        List<Key> keys = new ArrayList<>();
        if (s.senderDependent() && sender != null) {
            String local = sender.localPart();
            String domain = sender.domain().toLowerCase(Locale.ROOT);
            keys.add(new Key(local + "@" + domain, false));
            String bare = withoutExtension(local, s.recipientDelimiter());
            if (!bare.equals(local)) {
                keys.add(new Key(bare + "@" + domain, true));
            }
            keys.add(new Key("@" + domain, true));
        }
        if (host != null && !host.isEmpty()) {
            keys.add(new Key(host, false));
        }
        if (!nexthop.equalsIgnoreCase(host)) {
            keys.add(new Key(nexthop, false));
        }
        return keys;
    }

    /** Postfix strips the extension at the first of the recipient_delimiter characters. */
    private static String withoutExtension(String local, String delimiters) {
        if (delimiters == null || delimiters.isEmpty()) {
            return local;
        }
        for (int i = 0; i < local.length(); i++) {
            if (delimiters.indexOf(local.charAt(i)) >= 0 && i > 0) {
                return local.substring(0, i);
            }
        }
        return local;
    }
}

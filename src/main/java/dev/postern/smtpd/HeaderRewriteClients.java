package dev.postern.smtpd;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * local_header_rewrite_clients, as Postfix's smtpd_check_rewrite() reads it at MAIL FROM: the
 * first entry that matches makes the client "local" (cleanup then completes and maps the
 * addresses in its message headers); none matching makes it "remote" (its headers are left alone
 * unless remote_header_rewrite_domain is set). Entries: permit_inet_interfaces,
 * permit_mynetworks, permit_sasl_authenticated, permit_tls_clientcerts, permit_tls_all_clientcerts,
 * and {@code check_address_map type:table} (or a bare {@code type:table}, e.g. {@code static:all}),
 * looked up by the client's IP address. Postfix skips an unknown word with a warning at each MAIL;
 * Postern refuses it at check and start.
 */
final class HeaderRewriteClients {
    @FunctionalInterface
    private interface Entry {
        boolean matches(CheckContext ctx) throws LookupException;
    }

    private final List<Entry> entries;

    private HeaderRewriteClients(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** @throws IllegalArgumentException naming local_header_rewrite_clients and the word */
    static HeaderRewriteClients compile(List<String> words, Policy policy) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i).toLowerCase(Locale.ROOT);
            String table = null;
            if (words.get(i).indexOf(':') > 0) {
                table = words.get(i);
            } else if (w.equals("check_address_map")) {
                if (i + 1 >= words.size()) {
                    throw new IllegalArgumentException("local_header_rewrite_clients: check_address_map needs a table, e.g."
                            + " check_address_map cidr:/etc/postern/local_clients");
                }
                table = words.get(++i);
            }
            if (table != null) {
                LookupTable t = open(table);
                out.add(ctx -> t.lookup(PeerNames.printable(ctx.clientAddress())).isPresent());
                continue;
            }
            Entry e = switch (w) {
                case "permit_inet_interfaces" -> policy::ownAddress;
                case "permit_mynetworks" -> policy::inMynetworks;
                case "permit_sasl_authenticated" -> ctx -> ctx.saslUsername() != null;
                case "permit_tls_clientcerts" -> policy::fingerprintListed;
                case "permit_tls_all_clientcerts" -> ctx -> (ctx.tls() && ctx.peer().trusted()) || policy.fingerprintListed(ctx);
                default -> throw new IllegalArgumentException("local_header_rewrite_clients: unknown entry \"" + words.get(i)
                        + "\"; use permit_inet_interfaces, permit_mynetworks, permit_sasl_authenticated,"
                        + " permit_tls_clientcerts, permit_tls_all_clientcerts or check_address_map type:table");
            };
            out.add(e);
        }
        return new HeaderRewriteClients(out);
    }

    private static LookupTable open(String spec) {
        try {
            return Maps.open(spec);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("local_header_rewrite_clients: " + e.getMessage(), e);
        }
    }

    /**
     * True for a "local" client.
     * @throws LookupException a table could not answer (MAIL FROM then gets 451 4.3.0 Temporary lookup error)
     */
    boolean local(CheckContext ctx) throws LookupException {
        for (Entry e : entries) {
            if (e.matches(ctx)) {
                return true;
            }
        }
        return false;
    }
}

package dev.postern.smtpd;

import dev.postern.dns.Resolver;
import dev.postern.maps.TableEntries;
import dev.postern.tls.TlsSetupException;
import dev.postern.util.IpAddresses;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * smtpd_discard_ehlo_keywords and smtpd_discard_ehlo_keyword_address_maps as {@code postern
 * check}, start and reload see them. Postfix checks neither: an unknown keyword is ignored, a
 * table key that can never match is never reported, and hiding STARTTLS where TLS is required
 * gives a server nobody can use. Here the first two are warnings, the last an error.
 */
final class EhloDiscardCheck {
    private static final String MAPS = "smtpd_discard_ehlo_keyword_address_maps";
    private static final List<String> FIXED_STRING_TYPES = List.of("hash", "btree", "lmdb", "cdb", "dbm", "sdbm",
            "texthash", "inline");

    private EhloDiscardCheck() {}

    /**
     * Refuses smtpd_discard_ehlo_keywords with starttls on a service that requires STARTTLS
     * (smtpd_tls_security_level = encrypt, not implicit TLS). Postfix accepts it and runs a server
     * that neither offers nor accepts STARTTLS but answers every mail command "530 5.7.0 Must
     * issue a STARTTLS command first": no client can ever send mail, and the only symptom is
     * clients failing. Such a setting has no use (a service that refuses all mail says so with
     * "reject"), so refusing it breaks nothing that works; and as an error it stops a reload,
     * leaving the running configuration in place, where a warning would scroll by while the
     * service goes dark. (A table value doing the same for some clients is only warned about:
     * the other clients are served, and singling some out may be meant.)
     */
    static void refuseUnusable(SmtpdSettings s) throws TlsSetupException {
        if (s.tlsRequired() && s.discardEhlo().keywords().discards(EhloKeyword.STARTTLS)) {
            throw new TlsSetupException("smtpd_discard_ehlo_keywords", "smtpd_discard_ehlo_keywords = "
                    + s.discardEhlo().value() + " hides STARTTLS on a service that requires TLS (smtpd_tls_security_level"
                    + " = encrypt): clients would be told \"530 5.7.0 Must issue a STARTTLS command first\" and could"
                    + " never send mail",
                    "remove starttls from smtpd_discard_ehlo_keywords for this service (master.cf -o"
                    + " smtpd_discard_ehlo_keywords=...), or hide it only on a service where TLS is optional"
                    + " (smtpd_tls_security_level = may)");
        }
    }

    /** Warnings for one service: unknown keywords, AUTH hidden where it is the point, table entries. */
    static List<String> warnings(SmtpdSettings s) {
        List<String> out = new ArrayList<>();
        SmtpdSettings.DiscardEhlo d = s.discardEhlo();
        if (!d.keywords().unknown().isEmpty()) {
            out.add(d.origin() + ": smtpd_discard_ehlo_keywords: " + unknownWords(d.keywords()));
        }
        if (s.authExternal() && d.keywords().discards(EhloKeyword.AUTH)) {
            out.add(d.origin() + ": smtpd_discard_ehlo_keywords hides AUTH where postern_smtpd_auth_external = yes:"
                    + " AUTH EXTERNAL is never offered and the AUTH command is refused (503 5.5.1), so no client can"
                    + " authenticate (permit_sasl_authenticated never permits)");
        }
        for (String spec : d.maps()) {
            tableWarnings(s, spec, out);
        }
        return out;
    }

    /** "unknown EHLO keyword "x" ignored (...)", for a list with {@link EhloDiscard#unknown()} words. */
    static String unknownWords(EhloDiscard d) {
        return unknownWords(d.unknown());
    }

    private static String unknownWords(List<String> words) {
        return "unknown EHLO keyword" + (words.size() == 1 ? " " : "s ")
                + words.stream().map(w -> "\"" + w + "\"").collect(Collectors.joining(", "))
                + " ignored, as Postfix ignores them (known: " + EhloKeyword.known() + ")";
    }

    private static void tableWarnings(SmtpdSettings s, String spec, List<String> out) {
        List<TableEntries.Entry> entries;
        try {
            entries = TableEntries.of(spec);
        } catch (IllegalArgumentException e) {
            out.add(MAPS + ": " + e.getMessage() + "; while it cannot be read, EHLO is answered \"421 4.3.0 Server"
                    + " local data error\" and the session ends, as in Postfix");
            return;
        }
        String type = spec.substring(0, spec.indexOf(':')).toLowerCase(Locale.ROOT);
        boolean fixedString = FIXED_STRING_TYPES.contains(type);
        boolean substitutes = type.equals("regexp") || type.equals("pcre");
        for (TableEntries.Entry e : entries) {
            String where = e.where(spec) + ": " + MAPS + ": ";
            if (fixedString) {
                String problem = keyProblem(e.key());
                if (problem != null) {
                    out.add(where + "key \"" + e.key() + "\" never matches: " + problem);
                }
            }
            EhloDiscard d = EhloDiscard.parse(e.value());
            // A regexp value's $1 is only known when it matches (logged then, see EhloOffers).
            List<String> unknown = substitutes ? d.unknown().stream().filter(w -> w.indexOf('$') < 0).toList() : d.unknown();
            if (!unknown.isEmpty()) {
                out.add(where + e.key() + " -> " + e.value() + ": " + unknownWords(unknown));
            }
            if (s.tlsRequired() && d.discards(EhloKeyword.STARTTLS)) {
                out.add(where + e.key() + " hides STARTTLS on a service that requires TLS (smtpd_tls_security_level ="
                        + " encrypt): the clients it matches are told \"530 5.7.0 Must issue a STARTTLS command first\""
                        + " and can never send mail");
            }
        }
    }

    /**
     * Why a fixed-string table key can never be the lookup key, or null: the key is a client
     * address exactly as Postfix prints it (no names, no networks, no "1.2.3" prefixes as in
     * access tables, IPv6 compressed and without brackets).
     */
    static String keyProblem(String key) {
        String bare = key.startsWith("[") && key.endsWith("]") ? key.substring(1, key.length() - 1) : key;
        InetAddress literal = Resolver.literal(bare); // no DNS lookup
        if (literal == null) {
            return "the table is searched by the client's IP address only, not by name or network"
                    + " (use a cidr: table for networks)";
        }
        String printable = IpAddresses.printable(literal);
        return printable.equalsIgnoreCase(key) ? null : "clients are looked up as " + printable
                + " (write the key that way; a cidr: table covers networks)";
    }
}

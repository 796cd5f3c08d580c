package dev.postern.smtp;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.tls.ClientTlsOptions;
import dev.postern.tls.TlsLevel;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The TLS policy for one next hop: smtp_tls_policy_maps looked up with the next hop verbatim
 * ({@code [mail.example.com]:587} is its own key), then for bare domains the parent {@code .domain}
 * forms; otherwise smtp_tls_security_level. A table value is a level and attributes:
 * {@code match=} (names, {@code :}-separated, for verify and secure; fingerprints, {@code |}-separated,
 * for fingerprint; repeatable), {@code protocols=}, {@code ciphers=} (a grade), {@code exclude=},
 * {@code servername=} (once; the SNI name, see {@link ServerNameIndication}).
 * Anything else, dane, dane-only and unknown words included, is an error: at {@code postern check}
 * naming the table's file and line, at delivery time (a table edited since) a deferral; never a
 * quietly weaker level. {@code source} says where the policy came from, for logs and {@code postern route}.
 */
public record TlsPolicy(TlsLevel level, List<String> match, String protocols, String ciphers, List<String> exclude,
                        String serverName, String source) {
    public TlsPolicy {
        match = List.copyOf(match);
        exclude = List.copyOf(exclude);
    }

    /** Without servername= (smtp_tls_servername applies). */
    public TlsPolicy(TlsLevel level, List<String> match, String protocols, String ciphers, List<String> exclude, String source) {
        this(level, match, protocols, ciphers, exclude, "", source);
    }

    /**
     * @throws LookupException when a table cannot be read (defer)
     * @throws IllegalArgumentException when the entry found is not a valid policy (defer, 4.7.5)
     */
    static TlsPolicy lookup(SmtpClientSettings s, NextHop hop) throws LookupException {
        for (String key : keys(hop)) {
            for (LookupTable t : s.policyMaps()) {
                Optional<String> v = t.lookup(key);
                if (v.isPresent()) {
                    return parse(v.get(), "smtp_tls_policy_maps " + t.spec() + " key " + key);
                }
            }
        }
        TlsLevel level = TlsLevel.parse(s.tlsLevel().isBlank() ? "none" : s.tlsLevel());
        List<String> match = level == TlsLevel.FINGERPRINT ? s.tlsDefaults().fingerprintMatch() : List.of();
        return new TlsPolicy(level, match, "", "", List.of(), "smtp_tls_security_level");
    }

    /**
     * For {@code postern route}: the TLS policy a next hop gets and where it comes from, e.g.
     * {@code TLS: secure (smtp_tls_policy_maps hash:/etc/postern/smtp_tls_policy key [localhost]:587),
     * match=nexthop:dot-nexthop, protocols=>=TLSv1.2, ciphers=medium}. Reads the tables, no network.
     */
    public static String explainTls(SmtpClientSettings s, String nexthop) {
        try {
            return "TLS: " + lookup(s, NextHop.parse(nexthop)).explain(s);
        } catch (LookupException e) {
            return "TLS: unknown, the policy table lookup failed (mail would be deferred): " + e.getMessage();
        } catch (IllegalArgumentException e) {
            return "TLS: invalid policy (mail would be deferred with 4.7.5): " + e.getMessage();
        }
    }

    static List<String> keys(NextHop hop) {
        List<String> keys = new ArrayList<>();
        keys.add(hop.text());
        if (!hop.text().startsWith("[") && hop.text().indexOf(':') < 0) {
            String d = hop.host();
            int dot;
            while ((dot = d.indexOf('.')) >= 0) {
                d = d.substring(dot + 1);
                keys.add("." + d);
                if (d.indexOf('.') < 0) {
                    break;
                }
            }
        }
        return keys;
    }

    /** @throws IllegalArgumentException saying what is wrong and how to write it */
    static TlsPolicy parse(String value, String source) {
        String[] words = value.trim().split("\\s+");
        TlsLevel level = TlsLevel.parse(words[0]);
        List<String> match = new ArrayList<>();
        List<String> exclude = new ArrayList<>();
        String protocols = "";
        String ciphers = "";
        String serverName = null;
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            int eq = w.indexOf('=');
            String name = eq < 0 ? w : w.substring(0, eq).toLowerCase(Locale.ROOT);
            String v = eq < 0 ? "" : w.substring(eq + 1);
            switch (name) {
                case "match" -> {
                    for (String m : v.split(level == TlsLevel.FINGERPRINT ? "\\|" : ":")) {
                        if (!m.isEmpty()) {
                            match.add(m);
                        }
                    }
                }
                case "protocols" -> protocols = v;
                case "servername" -> {
                    if (serverName != null) { // as Postfix: only one instance per policy
                        throw new IllegalArgumentException("attribute servername= is given more than once in TLS policy \""
                                + value + "\"");
                    }
                    serverName = ServerNameIndication.validate(v, "servername= in TLS policy \"" + value + "\"");
                    if (serverName.isEmpty()) {
                        throw new IllegalArgumentException("servername= in TLS policy \"" + value + "\" is empty;"
                                + " give a DNS name, hostname or nexthop, or leave the attribute out");
                    }
                }
                case "ciphers" -> ciphers = v;
                case "exclude" -> {
                    for (String x : v.split("[:,]")) {
                        if (!x.isEmpty()) {
                            exclude.add(x);
                        }
                    }
                }
                default -> throw new IllegalArgumentException("invalid attribute name \"" + name + "\" in TLS policy \"" + value
                        + "\"; Postern knows match=, protocols=, ciphers=, exclude= and servername=");
            }
        }
        if (level == TlsLevel.FINGERPRINT && match.isEmpty()) {
            throw new IllegalArgumentException("TLS policy \"" + value + "\" has the fingerprint level but no match= fingerprints;"
                    + " add match=AA:BB:... (several separated by |)");
        }
        if (level == TlsLevel.FINGERPRINT) {
            for (String f : match) {
                if (!f.replace(":", "").matches("[0-9A-Fa-f]{32,128}")) {
                    throw new IllegalArgumentException("\"" + f + "\" in TLS policy \"" + value + "\" is not a fingerprint;"
                            + " write hex pairs such as 3D:95:34:..., several separated by |");
                }
            }
        }
        if (!protocols.isEmpty()) {
            dev.postern.tls.Protocols.parse(protocols);
        }
        return new TlsPolicy(level, match, protocols, ciphers, exclude, serverName == null ? "" : serverName, source);
    }

    /** The SNI setting for this next hop: servername= if the policy has one, else smtp_tls_servername. */
    String serverNameSetting(SmtpClientSettings s) {
        return !serverName.isEmpty() ? serverName : s.tlsDefaults().serverName();
    }

    boolean usesTls() {
        return level.usesTls();
    }

    boolean mandatory() {
        return level.mandatory();
    }

    /**
     * The handshake settings, as Postfix picks them: the mandatory parameters above may, the
     * opportunistic ones at may; the policy's attributes win, and its exclusions add to the
     * parameters'.
     */
    ClientTlsOptions handshake(SmtpClientSettings s) {
        TlsDefaults d = s.tlsDefaults();
        String p = !protocols.isEmpty() ? protocols : mandatory() ? s.mandatoryProtocols() : s.tls().protocols();
        String c = !ciphers.isEmpty() ? ciphers : mandatory() ? d.mandatoryCiphers() : d.ciphers();
        List<String> x = new ArrayList<>(d.exclude());
        if (mandatory()) {
            x.addAll(d.mandatoryExclude());
        }
        x.addAll(exclude);
        return new ClientTlsOptions(p, c, x);
    }

    /** For verify and secure: the names the certificate must match (match= or the parameter's default). */
    List<String> nameMatch(SmtpClientSettings s) {
        return !match.isEmpty() ? match : level == TlsLevel.SECURE ? s.secureMatch() : s.verifyMatch();
    }

    /** One line for logs and {@code postern route}: {@code secure (smtp_tls_policy_maps hash:/x key [h]:587), match=nexthop:dot-nexthop}. */
    String explain(SmtpClientSettings s) {
        StringBuilder sb = new StringBuilder(level.word()).append(" (").append(source).append(")");
        if (level == TlsLevel.VERIFY || level == TlsLevel.SECURE) {
            sb.append(", match=").append(String.join(":", nameMatch(s)));
        } else if (level == TlsLevel.FINGERPRINT) {
            sb.append(", match=").append(String.join("|", match)).append(", digest=").append(s.tlsDefaults().fingerprintDigest());
        }
        if (level.usesTls()) {
            ClientTlsOptions o = handshake(s);
            sb.append(", protocols=").append(o.protocols()).append(", ciphers=").append(o.cipherGrade());
            if (!o.exclude().isEmpty()) {
                sb.append(", exclude=").append(String.join(":", o.exclude()));
            }
            if (!serverNameSetting(s).isEmpty()) {
                sb.append(", servername=").append(serverNameSetting(s));
            }
        }
        return sb.toString();
    }
}

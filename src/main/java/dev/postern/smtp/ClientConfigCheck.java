package dev.postern.smtp;

import dev.postern.checks.ContentCheckSettings;
import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.dns.Resolver;
import dev.postern.maps.TableEntries;
import dev.postern.maps.TableList;
import dev.postern.tls.CipherGrades;
import dev.postern.tls.ClientTlsOptions;
import dev.postern.tls.TlsClient;
import dev.postern.tls.TlsLevel;
import dev.postern.tls.TlsSetupException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code postern check} and start verify for the SMTP client beyond its files: every TLS
 * level word (main.cf and each smtp_tls_policy_maps entry, named by file and line), fingerprint
 * settings, cipher grades, lookup mechanisms and DNS servers, and the smtp_*_checks and
 * smtp_generic_maps tables (a missing file or a bad line). Postfix accepts most of these mistakes and acts on them later (dane
 * quietly downgraded when DNSSEC is missing, an unknown level deferring all mail, a bad regexp
 * line a warning and the rule skipped, dict_regexp.c); Postern refuses to start instead.
 */
final class ClientConfigCheck {
    private static final Set<String> DIGESTS = Set.of("md5", "sha1", "sha256", "sha384", "sha512");

    private ClientConfigCheck() {}

    /** @return warnings: smtp_*_checks and smtp_generic_maps tables that cannot answer now (a hash: file not made yet) */
    static List<String> check(Config c) throws ConfigException {
        SmtpClientSettings s;
        try {
            s = SmtpClientSettings.from(c);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            int colon = m.indexOf(':');
            String param = colon > 0 && m.substring(0, colon).matches("[a-z_]+") ? m.substring(0, colon) : "smtp_tls_policy_maps";
            throw at(c, param, "SMTP client: " + m, "");
        }
        try {
            TlsLevel.parse(s.tlsLevel());
        } catch (IllegalArgumentException e) {
            throw at(c, "smtp_tls_security_level", "smtp_tls_security_level: " + e.getMessage(), "");
        }
        String digest = s.tlsDefaults().fingerprintDigest();
        if (!DIGESTS.contains(digest)) {
            throw at(c, "smtp_tls_fingerprint_digest", "smtp_tls_fingerprint_digest: unknown digest \"" + digest + "\"",
                    "use sha256 (or md5, sha1, sha384, sha512)");
        }
        if (TlsLevel.parse(s.tlsLevel()) == TlsLevel.FINGERPRINT && s.tlsDefaults().fingerprintMatch().isEmpty()) {
            throw at(c, "smtp_tls_security_level", "smtp_tls_security_level = fingerprint but smtp_tls_fingerprint_cert_match is empty",
                    "list the server's certificate or public key fingerprints in smtp_tls_fingerprint_cert_match");
        }
        String relayhost = c.get("relayhost").strip();
        if (!relayhost.isEmpty()) {
            try {
                NextHop.parse(relayhost); // as the delivery agent will: a mistake would defer all mail
            } catch (IllegalArgumentException e) {
                throw at(c, "relayhost", "relayhost: " + e.getMessage(), "write [host]:port, host:port or a domain");
            }
        }
        try {
            Resolver.of(s.nextHops().dnsServers(), Duration.ofSeconds(5));
        } catch (IllegalArgumentException e) {
            throw at(c, "postern_dns_servers", "postern_dns_servers: " + e.getMessage(), "");
        }
        TlsClient tls;
        try {
            tls = TlsClient.create(s.tls());
        } catch (TlsSetupException e) {
            throw at(c, e.parameter() == null ? "smtp_tls_cert_file" : e.parameter(), "SMTP client: " + e.problem(), e.fix());
        }
        checkCiphers(c, s, tls);
        for (String spec : c.list("smtp_tls_policy_maps")) {
            checkPolicyTable(c, s, tls, spec);
        }
        return checkTables(c, s.checks(), s.generic());
    }

    /**
     * Opens each smtp_*_checks and smtp_generic_maps table as the agent will; an error names the
     * parameter's line, the table's file and line.
     */
    private static List<String> checkTables(Config c, ContentCheckSettings k, GenericMapSettings g) throws ConfigException {
        Map<String, List<String>> tables = new LinkedHashMap<>();
        tables.put("smtp_header_checks", k.header());
        tables.put("smtp_mime_header_checks", k.mime());
        tables.put("smtp_nested_header_checks", k.nested());
        tables.put("smtp_body_checks", k.body());
        tables.put("smtp_generic_maps", g.maps());
        List<String> warnings = new ArrayList<>();
        for (Map.Entry<String, List<String>> t : tables.entrySet()) {
            if (t.getValue().isEmpty()) {
                continue;
            }
            try {
                warnings.addAll(TableList.open(t.getKey(), t.getValue()).unavailable());
            } catch (IllegalArgumentException e) {
                throw at(c, t.getKey(), "SMTP client: " + e.getMessage(), "fix the table named above");
            }
        }
        return warnings;
    }

    private static void checkCiphers(Config c, SmtpClientSettings s, TlsClient tls) throws ConfigException {
        Map<String, List<String>> exclusions = new LinkedHashMap<>(); // the first parameter's mistake first
        exclusions.put("smtp_tls_exclude_ciphers", s.tlsDefaults().exclude());
        exclusions.put("smtp_tls_mandatory_exclude_ciphers", s.tlsDefaults().mandatoryExclude());
        for (Map.Entry<String, List<String>> x : exclusions.entrySet()) {
            try {
                CipherGrades.checkExclusions(x.getValue(), io.netty.handler.ssl.OpenSsl.isAvailable());
            } catch (IllegalArgumentException e) {
                throw at(c, x.getKey(), x.getKey() + ": " + e.getMessage(), "");
            }
        }
        for (TlsLevel level : List.of(TlsLevel.MAY, TlsLevel.ENCRYPT)) {
            TlsPolicy p = new TlsPolicy(level, List.of(), "", "", List.of(), "smtp_tls_security_level");
            ClientTlsOptions o = p.handshake(s);
            try {
                tls.validate(o);
            } catch (TlsSetupException e) {
                String param = level == TlsLevel.MAY ? "smtp_tls_ciphers" : "smtp_tls_mandatory_ciphers";
                throw at(c, param, "SMTP client: " + e.getMessage(), "fix " + param + ", smtp_tls_*protocols or the cipher exclusions");
            }
        }
    }

    private static void checkPolicyTable(Config c, SmtpClientSettings s, TlsClient tls, String spec) throws ConfigException {
        List<TableEntries.Entry> entries;
        try {
            entries = TableEntries.of(spec);
        } catch (IllegalArgumentException e) {
            throw at(c, "smtp_tls_policy_maps", "smtp_tls_policy_maps: " + e.getMessage(), "");
        }
        for (TableEntries.Entry e : entries) {
            String problem = null;
            try {
                TlsPolicy p = TlsPolicy.parse(e.value(), spec);
                tls.validate(p.handshake(s));
            } catch (IllegalArgumentException | TlsSetupException ex) {
                problem = ex.getMessage();
            }
            if (problem != null) {
                String what = "smtp_tls_policy_maps " + spec + " entry \"" + e.key() + "\": " + problem;
                if (e.file() == null) {
                    throw at(c, "smtp_tls_policy_maps", what, "");
                }
                throw new ConfigException(e.file().toString(), e.line(), what, "");
            }
        }
    }

    /** An error at the main.cf (or master.cf) line that set the parameter; main.cf when it has its default. */
    static ConfigException at(Config c, String parameter, String problem, String fix) {
        String origin = c.origin(parameter);
        int colon = origin.lastIndexOf(':');
        if (colon > 0) {
            try {
                return new ConfigException(origin.substring(0, colon), Integer.parseInt(origin.substring(colon + 1)), problem, fix);
            } catch (NumberFormatException ignored) {
                // not file:line
            }
        }
        return new ConfigException("main.cf", 0, problem, fix);
    }
}

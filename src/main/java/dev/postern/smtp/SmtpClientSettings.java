package dev.postern.smtp;

import dev.postern.config.Config;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.tls.ClientTlsSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What the SMTP client reads (Postfix smtp(8) parameters). */
public record SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                                 String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                                 List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                                 Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit,
                                 SaslSettings sasl) {

    /** Without SMTP AUTH (tests that do not need it). */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, SaslSettings.DISABLED);
    }

    /** @throws IllegalArgumentException for a bad policy table; {@link SaslSettings.Invalid} for bad smtp_sasl_* settings */
    public static SmtpClientSettings from(Config c) {
        String ca = c.get("smtp_tls_CAfile");
        String cert = c.get("smtp_tls_cert_file");
        String key = c.get("smtp_tls_key_file");
        ClientTlsSettings tls = new ClientTlsSettings(ca.isEmpty() ? null : Path.of(ca), cert.isEmpty() ? null : Path.of(cert),
                key.isEmpty() ? null : Path.of(key), c.get("smtp_tls_protocols"));
        List<LookupTable> maps = new ArrayList<>();
        for (String spec : c.list("smtp_tls_policy_maps")) {
            maps.add(Maps.open(spec));
        }
        return new SmtpClientSettings(c.get("smtp_helo_name"), c.duration("smtp_connect_timeout"),
                c.duration("smtp_helo_timeout"), c.duration("smtp_data_done_timeout"),
                c.get("smtp_tls_security_level").isEmpty() ? "none" : c.get("smtp_tls_security_level"),
                tls, c.get("smtp_tls_mandatory_protocols"), c.integer("smtp_tls_loglevel"), List.copyOf(maps),
                c.list("smtp_tls_secure_cert_match"), c.list("smtp_tls_verify_cert_match"),
                c.duration("smtp_connection_cache_time_limit"), c.duration("smtp_connection_reuse_time_limit"),
                c.integer("smtp_connection_reuse_count_limit"), SaslSettings.from(c));
    }
}

package dev.postern.smtp;

import dev.postern.checks.ContentCheckSettings;
import dev.postern.config.Config;
import dev.postern.config.Lists;
import dev.postern.dns.MxList;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.tls.ClientTlsSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the SMTP client reads (Postfix smtp(8) parameters). {@code checks}: smtp_header_checks,
 * smtp_mime_header_checks, smtp_nested_header_checks and smtp_body_checks (table specs only; the
 * agent opens them), {@link ContentCheckSettings#NONE} when none is set; {@code generic}:
 * smtp_generic_maps, {@link GenericMapSettings#NONE} when not set.
 */
public record SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                                 String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                                 List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                                 Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit,
                                 TlsDefaults tlsDefaults, NextHopSettings nextHops, SaslSettings sasl,
                                 CommandTimeouts timeouts, ContentCheckSettings checks, GenericMapSettings generic) {
    public SmtpClientSettings {
        checks = checks == null ? ContentCheckSettings.NONE : checks;
        generic = generic == null ? GenericMapSettings.NONE : generic;
    }

    /** Without smtp_generic_maps. */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit,
                              TlsDefaults tlsDefaults, NextHopSettings nextHops, SaslSettings sasl,
                              CommandTimeouts timeouts, ContentCheckSettings checks) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, tlsDefaults, nextHops, sasl, timeouts,
                checks, GenericMapSettings.NONE);
    }

    /** Without smtp_*_checks. */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit,
                              TlsDefaults tlsDefaults, NextHopSettings nextHops, SaslSettings sasl,
                              CommandTimeouts timeouts) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, tlsDefaults, nextHops, sasl, timeouts,
                ContentCheckSettings.NONE);
    }

    /** The same settings, with these command time limits (tests). */
    public SmtpClientSettings withTimeouts(CommandTimeouts t) {
        return new SmtpClientSettings(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols,
                tlsLogLevel, policyMaps, secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, tlsDefaults,
                nextHops, sasl, t, checks, generic);
    }

    /** The same settings, with these smtp_*_checks (tests). */
    public SmtpClientSettings withChecks(ContentCheckSettings c) {
        return new SmtpClientSettings(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols,
                tlsLogLevel, policyMaps, secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, tlsDefaults,
                nextHops, sasl, timeouts, c, generic);
    }

    /** With these settings and Postfix's command time limits (tests). */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit,
                              TlsDefaults tlsDefaults, NextHopSettings nextHops, SaslSettings sasl) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, tlsDefaults, nextHops, sasl,
                CommandTimeouts.POSTFIX);
    }

    /** With Postfix's defaults for next-hop lookups (IPv4 only) and TLS ciphers/fingerprints, without SMTP AUTH (tests). */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, TlsDefaults.POSTFIX, NextHopSettings.POSTFIX_IPV4,
                SaslSettings.DISABLED);
    }

    /** With these next-hop lookups and TLS defaults, without SMTP AUTH (tests). */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit,
                              TlsDefaults tlsDefaults, NextHopSettings nextHops) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, tlsDefaults, nextHops, SaslSettings.DISABLED);
    }

    /** With Postfix's defaults for next-hop lookups (IPv4 only) and TLS, and this SMTP AUTH (tests). */
    public SmtpClientSettings(String heloName, Duration connectTimeout, Duration heloTimeout, Duration dataDoneTimeout,
                              String tlsLevel, ClientTlsSettings tls, String mandatoryProtocols, int tlsLogLevel,
                              List<LookupTable> policyMaps, List<String> secureMatch, List<String> verifyMatch,
                              Duration cacheTimeLimit, Duration reuseTimeLimit, int reuseCountLimit, SaslSettings sasl) {
        this(heloName, connectTimeout, heloTimeout, dataDoneTimeout, tlsLevel, tls, mandatoryProtocols, tlsLogLevel, policyMaps,
                secureMatch, verifyMatch, cacheTimeLimit, reuseTimeLimit, reuseCountLimit, TlsDefaults.POSTFIX,
                NextHopSettings.POSTFIX_IPV4, sasl);
    }

    /**
     * @throws IllegalArgumentException for a bad policy table or a bad lookup setting;
     *         {@link SaslSettings.Invalid} for bad smtp_sasl_* settings
     */
    public static SmtpClientSettings from(Config c) {
        String ca = c.get("smtp_tls_CAfile");
        String cert = c.get("smtp_tls_cert_file");
        String key = c.get("smtp_tls_key_file");
        // smtp_tls_session_cache_database names a table only to turn the cache on: Postern keeps the
        // sessions in memory (ClientSessionCache) and never opens it.
        Duration sessionTimeout = c.duration("smtp_tls_session_cache_timeout");
        Duration sessionCache = c.get("smtp_tls_session_cache_database").isBlank() ? Duration.ZERO : sessionTimeout;
        ClientTlsSettings tls = new ClientTlsSettings(ca.isEmpty() ? null : Path.of(ca), cert.isEmpty() ? null : Path.of(cert),
                key.isEmpty() ? null : Path.of(key), c.get("smtp_tls_protocols"), sessionCache);
        List<LookupTable> maps = new ArrayList<>();
        for (String spec : c.list("smtp_tls_policy_maps")) {
            maps.add(Maps.open(spec));
        }
        TlsDefaults tlsDefaults = new TlsDefaults(c.get("smtp_tls_fingerprint_digest").toLowerCase(Locale.ROOT),
                c.list("smtp_tls_fingerprint_cert_match"), c.get("smtp_tls_ciphers"), c.get("smtp_tls_mandatory_ciphers"),
                Lists.splitWithColons(c.get("smtp_tls_exclude_ciphers")), Lists.splitWithColons(c.get("smtp_tls_mandatory_exclude_ciphers")),
                ServerNameIndication.validate(c.get("smtp_tls_servername"), "smtp_tls_servername"));
        return new SmtpClientSettings(c.get("smtp_helo_name"), c.duration("smtp_connect_timeout"),
                c.duration("smtp_helo_timeout"), c.duration("smtp_data_done_timeout"),
                c.get("smtp_tls_security_level").isEmpty() ? "none" : c.get("smtp_tls_security_level"),
                tls, c.get("smtp_tls_mandatory_protocols"), c.integer("smtp_tls_loglevel"), List.copyOf(maps),
                Lists.splitWithColons(c.get("smtp_tls_secure_cert_match")), Lists.splitWithColons(c.get("smtp_tls_verify_cert_match")),
                c.duration("smtp_connection_cache_time_limit"), c.duration("smtp_connection_reuse_time_limit"),
                c.integer("smtp_connection_reuse_count_limit"), tlsDefaults, nextHops(c), SaslSettings.from(c),
                CommandTimeouts.from(c), contentChecks(c), GenericMapSettings.from(c));
    }

    /**
     * smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks, smtp_body_checks as
     * Postfix's smtp reads them (smtp.c, smtp_proto.c): all four empty by default (the MIME and
     * nested ones are not $smtp_header_checks, unlike cleanup's); MIME structure is always followed
     * when a table is set (smtp_proto.c gives mime_state no MIME_OPT_DISABLE_MIME then, whatever
     * disable_mime_input_processing says) and body lines are checked to the end of each part (no
     * body_checks_size_limit: hbc_body_checks() has none). mime_state's own limits apply as they
     * do in every Postfix process.
     */
    static ContentCheckSettings contentChecks(Config c) {
        return new ContentCheckSettings("smtp_", c.list("smtp_header_checks"), c.list("smtp_mime_header_checks"),
                c.list("smtp_nested_header_checks"), c.list("smtp_body_checks"), 0, true, c.integer("mime_nesting_limit"),
                c.integer("mime_boundary_length_limit"), c.integer("line_length_limit"), c.size("header_size_limit"));
    }

    private static NextHopSettings nextHops(Config c) {
        boolean dns = false;
        boolean nativeLookup = false;
        for (String w : c.list("smtp_host_lookup")) {
            switch (w.toLowerCase(Locale.ROOT)) {
                case "dns" -> dns = true;
                case "native" -> nativeLookup = true;
                default -> throw new IllegalArgumentException("smtp_host_lookup: unknown mechanism \"" + w + "\"; use dns, native or both");
            }
        }
        if (!dns && !nativeLookup) {
            throw new IllegalArgumentException("smtp_host_lookup is empty; use dns, native or both");
        }
        boolean ipv4 = false;
        boolean ipv6 = false;
        for (String w : c.list("inet_protocols")) {
            switch (w.toLowerCase(Locale.ROOT)) {
                case "all" -> {
                    ipv4 = true;
                    ipv6 = true;
                }
                case "ipv4" -> ipv4 = true;
                case "ipv6" -> ipv6 = true;
                default -> throw new IllegalArgumentException("inet_protocols: unknown protocol \"" + w + "\"; use ipv4, ipv6 or all");
            }
        }
        if (!ipv4 && !ipv6) {
            ipv4 = true; // Postfix: an empty inet_protocols means ipv4
        }
        int addressLimit = c.integer("smtp_mx_address_limit");
        int sessionLimit = c.integer("smtp_mx_session_limit");
        if (addressLimit < 0 || sessionLimit < 0) {
            throw new IllegalArgumentException("smtp_mx_address_limit and smtp_mx_session_limit must be 0 (no limit) or more");
        }
        return new NextHopSettings(c.list("postern_dns_servers"), new MxList.Options(dns, nativeLookup, ipv4, ipv6, addressLimit),
                sessionLimit, c.bool("smtp_skip_5xx_greeting"), c.duration("minimal_backoff_time"));
    }
}

package dev.postern.smtpd;

import dev.postern.config.Config;
import dev.postern.config.SmtpdTlsLevel;
import dev.postern.tls.Protocols;
import dev.postern.tls.ServerTlsSettings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Everything one smtpd listener reads from its (service-scoped) configuration, resolved once.
 * {@code tlsLevel} is "none", "may" or "encrypt" after applying Postfix's obsolete
 * smtpd_use_tls / smtpd_enforce_tls mapping; {@code requireClientCert} is only true when the
 * level is encrypt (Postfix: "Can't require client certs unless TLS is required").
 * {@code perRequestDeadline}/{@code minDataRate}: smtpd_per_request_deadline and
 * smtpd_min_data_rate (default 500), see {@link dev.postern.protocol.RequestDeadline}.
 * {@code upstreamProxyProtocol}/{@code upstreamProxyTimeout}: smtpd_upstream_proxy_protocol and
 * smtpd_upstream_proxy_timeout, see {@link UpstreamProxy}. {@code discardEhlo}:
 * smtpd_discard_ehlo_keywords and smtpd_discard_ehlo_keyword_address_maps, see {@link EhloOffers}.
 * {@code contentFilter}: content_filter (main.cf, or the service's -o), {@code transport:nexthop}
 * stored with each message the service queues; empty: none (the re-injection service of an
 * after-queue filter sets {@code -o content_filter=}). {@code headerBodyChecks}: false when
 * receive_override_options has no_header_body_checks (main.cf, or the service's -o);
 * {@code addressMappings}: false when it has no_address_mappings.
 * {@code cleanupService}: cleanup_service_name, the master.cf cleanup service whose header and
 * body checks apply to the service's mail.
 */
public record SmtpdSettings(
        String serviceName, String myhostname, String banner, String mailName,
        String tlsLevel, boolean wrapperMode, boolean askClientCert, boolean requireClientCert,
        int tlsLogLevel, boolean tlsReceivedHeader, ServerTlsSettings tls,
        long messageSizeLimit, int lineLengthLimit, Duration timeout, Duration starttlsTimeout,
        boolean perRequestDeadline, long minDataRate,
        int hardErrorLimit, int softErrorLimit, Duration errorSleepTime, int junkCommandLimit,
        int recipientLimit, int recipientOvershootLimit, int connectionCountLimit, int connectionRateLimit, int messageRateLimit,
        int recipientRateLimit, int newTlsSessionRateLimit, Duration rateTimeUnit, List<String> limitExceptions,
        String forbidBareNewline, List<String> bareNewlineExclusions,
        boolean forbidUnauthPipelining, boolean peernameLookup, boolean smtputf8,
        boolean heloRequired, boolean strictRfc821Envelopes,
        RestrictionSettings restrictions, List<String> dnsServers, Duration peernameLookupTimeout,
        String upstreamProxyProtocol, Duration upstreamProxyTimeout, boolean authExternal,
        Stress stress, Eviction eviction, DiscardEhlo discardEhlo, String contentFilter, boolean headerBodyChecks,
        String cleanupService, boolean addressMappings) {

    /**
     * smtpd_discard_ehlo_keywords, parsed ({@code value} as written, {@code origin} where it was
     * set, for messages) and the smtpd_discard_ehlo_keyword_address_maps tables, whose values
     * replace the list for the client addresses they name. Both empty by default, as in Postfix.
     */
    public record DiscardEhlo(EhloDiscard keywords, String value, String origin, List<String> maps) {
        static DiscardEhlo from(Config c) {
            String value = c.get("smtpd_discard_ehlo_keywords");
            return new DiscardEhlo(EhloDiscard.parse(value), value, c.origin("smtpd_discard_ehlo_keywords"),
                    c.list("smtpd_discard_ehlo_keyword_address_maps"));
        }
    }

    /**
     * postern_smtpd_idle_eviction_time and postern_smtpd_waiting_client_limit: how the service's
     * {@link SessionLimit} makes room for new clients at its process limit (zero time: Postfix's
     * backlog behaviour).
     */
    public record Eviction(Duration idleTime, int waitingLimit) {
        static Eviction from(Config c) {
            return new Eviction(c.duration("postern_smtpd_idle_eviction_time"),
                    c.integer("postern_smtpd_waiting_client_limit"));
        }
    }

    /**
     * The values of smtpd_timeout, smtpd_starttls_timeout, smtpd_hard_error_limit and
     * smtpd_junk_command_limit under stress: Postfix's defaults are {@code ${stress?{10}:{300}}s}
     * and the like, and its master sets {@code stress=yes} when all of a service's processes are
     * busy. Here a service is under stress while its session limit (maxproc) is reached
     * ({@link SessionLimit#stressed()}). A value set without {@code $stress} is the same in both.
     */
    public record Stress(Duration timeout, Duration starttlsTimeout, int hardErrorLimit, int junkCommandLimit,
                         boolean perRequestDeadline) {
        static Stress from(Config c) {
            Config s = c.underStress();
            return new Stress(s.duration("smtpd_timeout"), s.duration("smtpd_starttls_timeout"),
                    s.integer("smtpd_hard_error_limit"), s.integer("smtpd_junk_command_limit"),
                    !s.isSet("smtpd_per_request_deadline") && s.isSet("smtpd_per_record_deadline")
                            ? s.bool("smtpd_per_record_deadline") : s.bool("smtpd_per_request_deadline"));
        }
    }

    /**
     * smtpd_per_request_deadline as set (else its pre-3.7 name smtpd_per_record_deadline, as set:
     * Postfix's default for the new name is the old one's value); unset, Postfix's "no" except on services that require
     * TLS (encrypt, or implicit TLS), where Postern turns it on: such a service serves only clients
     * with something to say, and a per-read timeout lets a client that trickles one byte per
     * smtpd_timeout hold a session (and a process slot) for ever. A deliberate difference from
     * Postfix 3.7's default, documented in docs/parameters.md. Under stress it follows the
     * parameter's stress value ({@link Stress#perRequestDeadline()}: Postfix's default is
     * {@code ${stress?{yes}:{no}}}).
     */
    static boolean perRequestDeadline(Config c, boolean tlsRequired) {
        if (c.isSet("smtpd_per_request_deadline")) {
            return c.bool("smtpd_per_request_deadline");
        }
        // Postfix's default for the 3.7 name is the old name's value when that is set.
        return c.isSet("smtpd_per_record_deadline") ? c.bool("smtpd_per_record_deadline") : tlsRequired;
    }

    /** A service whose configuration is main.cf's (no -o). */
    public static SmtpdSettings from(Config c, String serviceName) {
        return from(c, c, serviceName);
    }

    /**
     * @param c the service's configuration (main.cf with its master.cf -o)
     * @param main main.cf alone: what smtpd must not take from an -o (the virtual alias class,
     *             which the router and cleanup read from main.cf)
     */
    public static SmtpdSettings from(Config c, Config main, String serviceName) {
        String level = SmtpdTlsLevel.of(c);
        boolean encrypt = level.equals("encrypt");
        boolean wrapper = c.bool("smtpd_tls_wrappermode");
        boolean req = c.bool("smtpd_tls_req_ccert") && (encrypt || wrapper);
        boolean ask = c.bool("smtpd_tls_ask_ccert") || req;
        ServerTlsSettings tls = null;
        String cert = c.get("smtpd_tls_cert_file");
        if (!level.equals("none") || wrapper) {
            // Both, though the level uses one: a typo in the other must not wait for the day the level changes.
            for (String p : List.of("smtpd_tls_protocols", "smtpd_tls_mandatory_protocols")) {
                try {
                    Protocols.parse(c.get(p));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
                }
            }
            String ca = c.get("smtpd_tls_CAfile");
            tls = new ServerTlsSettings(Path.of(cert), Path.of(c.get("smtpd_tls_key_file").isEmpty()
                    ? cert : c.get("smtpd_tls_key_file")), ca.isEmpty() ? null : Path.of(ca), ask,
                    encrypt ? c.get("smtpd_tls_mandatory_protocols") : c.get("smtpd_tls_protocols"),
                    c.duration("smtpd_tls_session_cache_timeout"),
                    c.bool("postern_smtpd_tls_session_tickets"),
                    c.get("smtpd_tls_fingerprint_digest"),
                    c.get("postern_smtpd_tls_crl_file").isEmpty() ? null : Path.of(c.get("postern_smtpd_tls_crl_file")));
        }
        return new SmtpdSettings(serviceName, c.get("myhostname"), c.get("smtpd_banner"), c.get("mail_name"),
                level, wrapper, ask, req, c.integer("smtpd_tls_loglevel"), c.bool("smtpd_tls_received_header"), tls,
                c.size("message_size_limit"), c.integer("line_length_limit"), c.duration("smtpd_timeout"),
                c.duration("smtpd_starttls_timeout"),
                perRequestDeadline(c, encrypt || wrapper), c.integer("smtpd_min_data_rate"),
                c.integer("smtpd_hard_error_limit"), c.integer("smtpd_soft_error_limit"),
                c.duration("smtpd_error_sleep_time"), c.integer("smtpd_junk_command_limit"),
                c.integer("smtpd_recipient_limit"), c.integer("smtpd_recipient_overshoot_limit"),
                c.integer("smtpd_client_connection_count_limit"),
                c.integer("smtpd_client_connection_rate_limit"), c.integer("smtpd_client_message_rate_limit"),
                c.integer("smtpd_client_recipient_rate_limit"), c.integer("smtpd_client_new_tls_session_rate_limit"),
                c.duration("anvil_rate_time_unit"), c.list("smtpd_client_event_limit_exceptions"),
                bareNewlineMode(c.get("smtpd_forbid_bare_newline")), c.list("smtpd_forbid_bare_newline_exclusions"),
                c.bool("smtpd_forbid_unauth_pipelining"), c.bool("smtpd_peername_lookup"),
                c.bool("smtputf8_enable"), c.bool("smtpd_helo_required"), c.bool("strict_rfc821_envelopes"),
                RestrictionSettings.from(c, main), c.list("postern_dns_servers"),
                c.duration("postern_smtpd_peername_lookup_timeout"),
                c.get("smtpd_upstream_proxy_protocol"), c.duration("smtpd_upstream_proxy_timeout"),
                c.bool("postern_smtpd_auth_external"), Stress.from(c), Eviction.from(c), DiscardEhlo.from(c),
                c.get("content_filter").strip(), !c.list("receive_override_options").contains("no_header_body_checks"),
                c.get("cleanup_service_name").strip(),
                !c.list("receive_override_options").contains("no_address_mappings"));
    }

    /**
     * smtpd_forbid_bare_newline as Postfix 3.9+ reads it: "yes" is an alias for "normalize" (the
     * 3.8.x patch releases disconnected with 521 instead; Postfix dropped that).
     */
    static String bareNewlineMode(String value) {
        String v = value.toLowerCase(Locale.ROOT);
        return v.equals("yes") ? "normalize" : v;
    }

    /** The longest command line read (line_length_limit, at least the 512 of RFC 5321 §4.5.3.1.4). */
    public int commandLineLimit() {
        return Math.max(512, lineLengthLimit);
    }

    /** smtpd_upstream_proxy_protocol = haproxy: each connection starts with a PROXY protocol header. */
    public boolean behindProxy() {
        return upstreamProxyProtocol.equals("haproxy");
    }

    public boolean tlsRequired() {
        return tlsLevel.equals("encrypt") && !wrapperMode;
    }

    public boolean tlsOffered() {
        return tls != null && !wrapperMode;
    }

    public List<String> unusedWarnings() {
        return List.of();
    }

    /**
     * postern_smtpd_auth_external set where it cannot work (no client certificate is asked for, so
     * AUTH EXTERNAL is never offered) or where it is dangerous: a CA file with many certificates is
     * a public bundle, and every certificate those CAs ever issued could authenticate and relay
     * through permit_sasl_authenticated.
     */
    public List<String> authExternalWarnings() {
        if (!authExternal) {
            return List.of();
        }
        if (tls == null || !askClientCert || tls.caFile() == null) {
            return List.of("service " + serviceName + ": postern_smtpd_auth_external = yes, but the service "
                    + (tls == null ? "has no TLS" : !askClientCert ? "does not ask for client certificates (smtpd_tls_ask_ccert = no)"
                    : "has no smtpd_tls_CAfile") + ", so AUTH EXTERNAL is never offered");
        }
        try {
            int n = dev.postern.tls.Pem.certificates(tls.caFile(), "smtpd_tls_CAfile").size();
            if (n > PRIVATE_CA_LIMIT) {
                return List.of("service " + serviceName + ": postern_smtpd_auth_external = yes with smtpd_tls_CAfile "
                        + tls.caFile() + " holding " + n + " CA certificates (a public bundle?): any certificate they "
                        + "issued can authenticate and relay through permit_sasl_authenticated; use a file with only "
                        + "your private CA");
            }
        } catch (dev.postern.tls.TlsSetupException e) {
            // reported as an error by the TLS setup
        }
        return List.of();
    }

    /**
     * smtpd_discard_ehlo_keywords and smtpd_discard_ehlo_keyword_address_maps: unknown keywords
     * (Postfix ignores them without a word), table keys that can never match, AUTH hidden where
     * postern_smtpd_auth_external is on ({@link EhloDiscardCheck}).
     */
    public List<String> discardEhloWarnings() {
        return EhloDiscardCheck.warnings(this);
    }

    /** More CA certificates than a private setup has (a CA, its successor, a few intermediates). */
    private static final int PRIVATE_CA_LIMIT = 10;
}

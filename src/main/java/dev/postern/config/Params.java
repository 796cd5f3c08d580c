package dev.postern.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import static dev.postern.config.Param.Type.BOOL;
import static dev.postern.config.Param.Type.INT;
import static dev.postern.config.Param.Type.LIST;
import static dev.postern.config.Param.Type.SIZE;
import static dev.postern.config.Param.Type.STRING;
import static dev.postern.config.Param.Type.TIME;

/**
 * Every parameter Postern understands, with Postfix's name and default. Defaults that depend on
 * compatibility_level are written the way Postfix writes them ({@code ${{$compatibility_level} <
 * {2} ? {a} : {b}}}), so an old main.cf without compatibility_level (like the seed's) gets the old
 * behaviour, exactly as in Postfix. docs/parameters.md is generated from this table (a test keeps
 * them equal). Postern-only parameters start with {@code postern_}.
 */
public final class Params {
    private static final Map<String, Param> ALL;

    static {
        Map<String, Param> m = new LinkedHashMap<>();
        // Identity and environment
        p(m, "config_directory", STRING, "/etc/postern", "Directory with main.cf and master.cf (set by -c).");
        p(m, "queue_directory", STRING, "/var/spool/postern", "Spool: incoming, active, deferred, hold, corrupt, pid, recycle.");
        p(m, "data_directory", STRING, "/var/lib/postern", "Directory for Postern's own data files.");
        p(m, "mail_name", STRING, "Postern", "Mail system name in the SMTP greeting and Received headers.");
        p(m, "mail_version", STRING, "0.1", "Postern version.");
        p(m, "myhostname", STRING, "", "This host's fully-qualified name (default: the system's name).");
        p(m, "mydomain", STRING, "", "This host's domain (default: $myhostname minus its first label).");
        p(m, "myorigin", STRING, "$myhostname", "Domain appended to unqualified addresses.");
        p(m, "mydestination", LIST, "$myhostname, localhost.$mydomain, localhost", "Domains delivered locally (Postern accepts them as destinations; it has no local delivery yet).");
        p(m, "mynetworks", LIST, "", "Trusted client networks (default: from mynetworks_style).");
        p(m, "mynetworks_style", STRING, "${{$compatibility_level} < {2} ? {subnet} : {host}}", "host, subnet or class: how to compute mynetworks when unset.");
        p(m, "inet_interfaces", LIST, "all", "Addresses smtpd listens on: all, loopback-only, or a list.");
        p(m, "inet_protocols", STRING, "all", "ipv4, ipv6 or all.");
        p(m, "compatibility_level", STRING, "0", "Postfix compatibility level; defaults of some parameters depend on it.");
        p(m, "maillog_file", STRING, "", "Mail log file (empty: stdout of start-fg).");
        p(m, "syslog_name", STRING, "postern", "Program name in mail log lines (postern/smtpd[pid]).");
        p(m, "smtputf8_enable", BOOL, "${{$compatibility_level} < {1} ? {no} : {yes}}", "Offer SMTPUTF8 (RFC 6531).");
        p(m, "parent_domain_matches_subdomains", LIST, "", "Accepted for compatibility; Postern uses the explicit .domain form.");
        // Relay control
        p(m, "relay_domains", LIST, "${{$compatibility_level} < {2} ? {$mydestination} : {}}", "Domains this server relays to for anyone.");
        p(m, "relay_clientcerts", STRING, "", "Table of client certificate fingerprints allowed by permit_tls_clientcerts.");
        p(m, "smtpd_client_restrictions", LIST, "", "Restrictions applied to the client (evaluated at RCPT).");
        p(m, "smtpd_helo_restrictions", LIST, "", "Restrictions applied to HELO/EHLO (evaluated at RCPT).");
        p(m, "smtpd_sender_restrictions", LIST, "", "Restrictions applied to MAIL FROM (evaluated at RCPT).");
        p(m, "smtpd_relay_before_recipient_restrictions", BOOL, "${{$compatibility_level} < {3.6} ? {no} : {yes}}", "Evaluate smtpd_relay_restrictions before smtpd_recipient_restrictions.");
        p(m, "smtpd_relay_restrictions", LIST, "${{$compatibility_level} < {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}", "Relay control, evaluated before smtpd_recipient_restrictions.");
        p(m, "smtpd_recipient_restrictions", LIST, "", "Restrictions applied to RCPT TO.");
        p(m, "smtpd_data_restrictions", LIST, "", "Restrictions applied to DATA.");
        // smtpd protocol and limits
        p(m, "smtpd_banner", STRING, "$myhostname ESMTP $mail_name", "Text after 220 in the greeting.");
        p(m, "message_size_limit", SIZE, "10240000", "Largest message accepted, in bytes (0: no limit).");
        p(m, "header_size_limit", SIZE, "102400", "Largest header section, in bytes.");
        p(m, "line_length_limit", INT, "2048", "Longest SMTP command line.");
        p(m, "smtpd_timeout", TIME, "300s", "Time to wait for the client's next input.");
        p(m, "smtpd_starttls_timeout", TIME, "300s", "Time limit for the TLS handshake.");
        p(m, "smtpd_per_request_deadline", BOOL, "no", "Make smtpd_timeout a deadline for a whole request instead of a limit per read (limits clients that trickle data).");
        p(m, "smtpd_min_data_rate", INT, "500", "With smtpd_per_request_deadline = yes: bytes/s that extend the DATA deadline (N bytes add N/rate s, at most smtpd_timeout).");
        p(m, "smtpd_hard_error_limit", INT, "20", "Errors after which the session is ended (421).");
        p(m, "smtpd_soft_error_limit", INT, "10", "Errors after which each reply is delayed by smtpd_error_sleep_time.");
        p(m, "smtpd_error_sleep_time", TIME, "1s", "Delay per reply past the soft error limit.");
        p(m, "smtpd_junk_command_limit", INT, "100", "NOOP/RSET/VRFY/ETRN beyond this count as errors.");
        p(m, "smtpd_recipient_limit", INT, "1000", "Most recipients per message (452 beyond).");
        p(m, "smtpd_recipient_overshoot_limit", INT, "1000", "Accepted for compatibility.");
        p(m, "smtpd_client_connection_count_limit", INT, "50", "Simultaneous connections per client address (0: unlimited).");
        p(m, "smtpd_client_connection_rate_limit", INT, "0", "Connections per client address per anvil_rate_time_unit (0: unlimited); 421 beyond.");
        p(m, "smtpd_client_message_rate_limit", INT, "0", "MAIL FROM requests per client address per anvil_rate_time_unit (0: unlimited); 450 beyond.");
        p(m, "smtpd_client_recipient_rate_limit", INT, "0", "RCPT TO requests per client address per anvil_rate_time_unit (0: unlimited); 450 beyond.");
        p(m, "smtpd_client_new_tls_session_rate_limit", INT, "0", "New (not resumed) TLS sessions per client address per anvil_rate_time_unit (0: unlimited); 421 beyond.");
        p(m, "smtpd_client_event_limit_exceptions", LIST, "$mynetworks", "Clients exempt from the smtpd_client_*_limit counts and rates.");
        p(m, "anvil_rate_time_unit", TIME, "60s", "The time unit of the smtpd_client_*_rate_limit rates.");
        p(m, "smtpd_forbid_bare_newline", STRING, "normalize", "normalize (accept bare LF as a line end, as CRLF), reject (550 5.5.2), no; yes is an alias for normalize (Postfix 3.9+).");
        p(m, "smtpd_forbid_unauth_pipelining", BOOL, "yes", "Disconnect clients that pipeline where RFC 2920 forbids it.");
        p(m, "smtpd_peername_lookup", BOOL, "yes", "Look up the client's name (PTR with forward confirmation).");
        p(m, "smtpd_delay_reject", BOOL, "yes", "Apply client/helo/sender restrictions at RCPT (Postern always does).");
        p(m, "disable_vrfy_command", BOOL, "no", "Accepted for compatibility; Postern never verifies with VRFY.");
        // smtpd TLS
        p(m, "smtpd_tls_security_level", STRING, "", "none, may or encrypt (verify/secure mean encrypt on the server side).");
        p(m, "smtpd_use_tls", BOOL, "no", "Obsolete: yes means smtpd_tls_security_level=may.");
        p(m, "smtpd_enforce_tls", BOOL, "no", "Obsolete: yes means smtpd_tls_security_level=encrypt.");
        p(m, "smtpd_tls_cert_file", STRING, "", "Server certificate chain (PEM).");
        p(m, "smtpd_tls_key_file", STRING, "$smtpd_tls_cert_file", "Server private key (PEM, unencrypted).");
        p(m, "smtpd_tls_CAfile", STRING, "", "CA certificates trusted for client certificates (the only trust anchors).");
        p(m, "smtpd_tls_CApath", STRING, "", "Accepted for compatibility; use smtpd_tls_CAfile.");
        p(m, "smtpd_tls_ask_ccert", BOOL, "no", "Ask clients for a certificate.");
        p(m, "smtpd_tls_req_ccert", BOOL, "no", "Require a trusted client certificate (only with encrypt).");
        p(m, "smtpd_tls_loglevel", INT, "0", "TLS logging: 0 none, 1 summary, 2 certificate details.");
        p(m, "smtpd_tls_received_header", BOOL, "no", "Put TLS protocol, cipher and client certificate in Received.");
        p(m, "smtpd_tls_session_cache_database", STRING, "", "Accepted for compatibility; Postern caches sessions in memory.");
        p(m, "smtpd_tls_session_cache_timeout", TIME, "3600s", "Lifetime of cached TLS sessions; 0 turns resumption off (cache and tickets), as in Postfix.");
        p(m, "smtpd_tls_mandatory_protocols", STRING, ">=TLSv1.2", "Protocols with encrypt (Postfix syntax).");
        p(m, "smtpd_tls_protocols", STRING, ">=TLSv1.2", "Protocols with may (Postfix syntax).");
        p(m, "smtpd_tls_fingerprint_digest", STRING, "${{$compatibility_level} < {3.6} ? {md5} : {sha256}}", "Digest for client certificate fingerprints.");
        p(m, "smtpd_tls_wrappermode", BOOL, "no", "Implicit TLS (port 465).");
        p(m, "postern_smtpd_tls_session_tickets", BOOL, "yes", "Issue TLS session tickets (TLS 1.2 and 1.3) for resumption; no: TLS 1.2 resumes from the session cache only, TLS 1.3 does not resume (OpenSSL provider; the JDK provider ignores it).");
        // Queue
        p(m, "queue_run_delay", TIME, "300s", "How often the deferred queue is scanned.");
        p(m, "minimal_backoff_time", TIME, "300s", "Least time before a deferred message is retried.");
        p(m, "maximal_backoff_time", TIME, "4000s", "Most time before a deferred message is retried.");
        p(m, "maximal_queue_lifetime", TIME, "5d", "Age after which mail still undeliverable is given up (logged status=bounced; no bounce message yet).");
        p(m, "bounce_queue_lifetime", TIME, "5d", "maximal_queue_lifetime for bounce messages (accepted; Postern sends no bounces yet).");
        p(m, "default_destination_concurrency_limit", INT, "20", "Parallel deliveries.");
        // Routing and SMTP client
        p(m, "relayhost", STRING, "", "Default next hop for non-local mail ([host]:port = no MX lookup).");
        p(m, "default_transport", STRING, "smtp", "Transport (and optional :nexthop) for non-local mail.");
        p(m, "relay_transport", STRING, "relay", "Transport for mail to relay_domains.");
        p(m, "transport_maps", LIST, "", "Accepted; recipient routing tables come in a later version.");
        p(m, "sender_dependent_relayhost_maps", LIST, "", "Accepted; sender-dependent routing comes in a later version.");
        p(m, "smtp_helo_name", STRING, "$myhostname", "Name sent in EHLO by the SMTP client.");
        p(m, "smtp_connect_timeout", TIME, "30s", "Connect timeout of the SMTP client.");
        p(m, "smtp_helo_timeout", TIME, "300s", "Greeting and EHLO timeout of the SMTP client.");
        p(m, "smtp_data_done_timeout", TIME, "600s", "Time to wait for the reply to the final dot.");
        p(m, "smtp_connection_cache_time_limit", TIME, "2s", "How long an idle connection is kept for the next message to the same next hop.");
        p(m, "smtp_connection_reuse_time_limit", TIME, "300s", "How long after it was opened a connection may still take new messages.");
        p(m, "smtp_connection_reuse_count_limit", INT, "0", "How many times a connection may be reused (0: no limit).");
        p(m, "smtp_tls_security_level", STRING, "", "none, may, encrypt, verify or secure for outgoing SMTP.");
        p(m, "smtp_tls_CAfile", STRING, "", "CA certificates trusted for next-hop server certificates.");
        p(m, "smtp_tls_cert_file", STRING, "", "Client certificate presented to next hops.");
        p(m, "smtp_tls_key_file", STRING, "$smtp_tls_cert_file", "Its private key.");
        p(m, "smtp_tls_loglevel", INT, "0", "TLS logging of the SMTP client.");
        p(m, "smtp_tls_policy_maps", LIST, "", "Per-next-hop TLS policy table.");
        p(m, "smtp_tls_mandatory_protocols", STRING, ">=TLSv1.2", "Protocols with encrypt and above.");
        p(m, "smtp_tls_protocols", STRING, ">=TLSv1.2", "Protocols with may.");
        p(m, "smtp_tls_secure_cert_match", LIST, "nexthop, dot-nexthop", "Names a secure server certificate must match.");
        p(m, "smtp_tls_verify_cert_match", LIST, "hostname", "Names a verify server certificate must match.");
        p(m, "smtp_tls_session_cache_database", STRING, "", "Accepted for compatibility.");
        p(m, "smtp_tls_note_starttls_offer", BOOL, "no", "Accepted for compatibility.");
        p(m, "tls_append_default_CA", BOOL, "no", "Accepted; Postern never adds the JDK's CAs.");
        // Spool integrity and disk space (queue package, smtpd MAIL)
        p(m, "queue_minfree", SIZE, "0", "Free bytes the queue file system must keep for MAIL FROM to be accepted; the server also wants 1.5*$message_size_limit free (and room for a SIZE= declared).");
        ALL = Collections.unmodifiableMap(m);
    }

    private static void p(Map<String, Param> m, String name, Param.Type type, String def, String doc) {
        m.put(name, new Param(name, type, def, doc));
    }

    private Params() {}

    public static Param get(String name) {
        return ALL.get(name);
    }

    public static boolean known(String name) {
        return ALL.containsKey(name);
    }

    /** All parameters, by name. */
    public static Map<String, Param> all() {
        return Collections.unmodifiableMap(new TreeMap<>(ALL));
    }

    /** The markdown table of docs/parameters.md. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Supported parameters\n\n")
                .append("Generated from `dev.postern.config.Params`; `ParametersDocTest` keeps this file equal to the code\n")
                .append("(regenerate with `mvn -q test -Dtest=ParametersDocTest -Dpostern.updateDocs=true`).\n\n")
                .append("Types: time is a number with an optional unit s, m, h, d or w (default s); size is in bytes;\n")
                .append("bool is yes or no; list is separated by commas and/or whitespace.\n\n")
                .append("| parameter | type | default | description |\n|---|---|---|---|\n");
        for (Param p : all().values()) {
            sb.append("| `").append(p.name()).append("` | ").append(p.type().name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                    .append(p.defaultValue().isEmpty() ? "(empty)" : "`" + p.defaultValue().replace("|", "\\|") + "`")
                    .append(" | ").append(p.doc().replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }
}

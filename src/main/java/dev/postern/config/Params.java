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
    /** Postfix's upper bound for queue lifetimes and TLS session cache timeouts: 100 days, in seconds. */
    private static final long MAX_LIFETIME = 8640000;

    static {
        Map<String, Param> m = new LinkedHashMap<>();
        // Identity and environment
        p(m, "config_directory", STRING, "/etc/postern", "Directory with main.cf and master.cf (set by -c).");
        p(m, "queue_directory", STRING, "/var/spool/postern", "Spool: incoming, active, deferred, hold, corrupt, pid, recycle.");
        b(m, "data_directory", STRING, "/var/lib/postern", "Built in: Postfix keeps caches and its PRNG seed here; Postern keeps no such files (TLS sessions are cached in memory, randomness comes from the JDK), so there is nothing to place.");
        p(m, "mail_name", STRING, "Postern", "Mail system name in the SMTP greeting and Received headers.");
        p(m, "mail_version", STRING, "0.1", "Postern version (the jar's version when run from one), for $mail_version.");
        p(m, "myhostname", STRING, "", "This host's fully-qualified name (default, as Postfix: the system's host name, with .$mydomain or .localdomain appended when it has no dot; no DNS lookup).");
        p(m, "mydomain", STRING, "", "This host's domain (default: $myhostname minus its first label).");
        p(m, "myorigin", STRING, "$myhostname", "This host's own mail domain: appended to addresses without a domain (sendmail's envelope and local submissions' headers, header addresses of local_header_rewrite_clients, table results such as a virtual alias to root); table searches try the bare user form for it, as for $mydestination.");
        p(m, "mydestination", LIST, "$myhostname, localhost.$mydomain, localhost", "Domains delivered locally (Postern accepts them as destinations; it has no local delivery yet). Read from main.cf only: smtpd and the router must agree (an smtpd line's -o is warned about and has no effect, as in Postfix, whose smtpd asks trivial-rewrite).");
        p(m, "mynetworks", LIST, "", "Trusted client networks (default: from mynetworks_style).");
        p(m, "mynetworks_style", STRING, "${{$compatibility_level} < {2} ? {subnet} : {host}}", "host, subnet or class (Postern narrows class to subnet): how to compute mynetworks when unset.").oneOf("host", "subnet", "class");
        p(m, "inet_interfaces", LIST, "all", "Addresses smtpd listens on: all, loopback-only, or a list.");
        p(m, "inet_protocols", LIST, "all", "ipv4, ipv6 (or both) or all.").oneOf("all", "ipv4", "ipv6");
        p(m, "compatibility_level", STRING, "0", "Postfix compatibility level; defaults of some parameters depend on it.");
        p(m, "maillog_file", STRING, "", "Mail log file, reopened when renamed (postern log rotate). Empty: syslog (syslog_facility), or stdout for start-fg outside systemd.");
        p(m, "syslog_name", STRING, "postern", "Program name in mail log lines (postern/smtpd[pid]); set it to postfix for tools that look for postfix/ (fail2ban's postfix filter). A master.cf transport (of your own, or the smtp or relay line) takes -o syslog_name: -o syslog_name=postfix/isp logs its lines as postfix/isp/smtp[pid], and the relay line's -o syslog_name=postfix/$service_name as postfix/relay/smtp[pid]; so does the pickup line (-o syslog_name=postfix/local: postfix/local/pickup[pid]). For smtpd services it is read once, from main.cf.");
        p(m, "smtputf8_enable", BOOL, "${{$compatibility_level} < {1} ? {no} : {yes}}", "Offer SMTPUTF8 (RFC 6531).");
        p(m, "parent_domain_matches_subdomains", LIST, "debug_peer_list,fast_flush_domains,mynetworks,permit_mx_backup_networks,qmqpd_authorized_clients,relay_domains,smtpd_access_maps", "Features where a table key example.com also matches subdomains (instead of requiring .example.com): Postern honours smtpd_access_maps (check_*_access), transport_maps and relay_domains.");
        // Relay control
        p(m, "relay_domains", LIST, "${{$compatibility_level} < {2} ? {$mydestination} : {}}", "Domains this server relays to for anyone. Read from main.cf only, as mydestination.");
        p(m, "relay_clientcerts", STRING, "", "Table of client certificate fingerprints allowed by permit_tls_clientcerts and permit_tls_all_clientcerts (public-key or certificate fingerprint, smtpd_tls_fingerprint_digest); they match without a trusted CA.");
        p(m, "smtpd_client_restrictions", LIST, "", "Restrictions applied to the client (evaluated at RCPT).");
        p(m, "smtpd_helo_restrictions", LIST, "", "Restrictions applied to HELO/EHLO (evaluated at RCPT).");
        p(m, "smtpd_sender_restrictions", LIST, "", "Restrictions applied to MAIL FROM (evaluated at RCPT).");
        p(m, "smtpd_relay_before_recipient_restrictions", BOOL, "${{$compatibility_level} < {3.6} ? {no} : {yes}}", "Evaluate smtpd_relay_restrictions before smtpd_recipient_restrictions.");
        p(m, "smtpd_relay_restrictions", LIST, "${{$compatibility_level} < {1} ? {} : {permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination}}", "Relay control, evaluated before smtpd_recipient_restrictions.");
        p(m, "smtpd_recipient_restrictions", LIST, "", "Restrictions applied to RCPT TO.");
        p(m, "smtpd_data_restrictions", LIST, "", "Restrictions applied to DATA.");
        // smtpd protocol and limits
        p(m, "smtpd_banner", STRING, "$myhostname ESMTP $mail_name", "Text after 220 in the greeting.");
        p(m, "hopcount_limit", INT, "50", "A message with this many Received headers or more is refused (554 5.4.0 Error: too many hops; a local submission is returned to its sender): what ends a mail loop.").min(1);
        p(m, "message_size_limit", SIZE, "10240000", "Largest message accepted, in bytes (0: no limit).").min(0);
        p(m, "header_size_limit", SIZE, "102400", "Largest message header, in bytes: a longer one is cut, as in Postfix (the headers after it are still headers).").min(1);
        p(m, "line_length_limit", INT, "2048", "Longest SMTP command line.").min(512);
        // Content inspection while a message is queued (cleanup ContentInspector, Postfix's header_checks(5))
        p(m, "header_checks", LIST, "", "Tables (regexp:, pcre:, or any other type) asked about each primary message header, the whole logical header with its folded lines joined by a newline: REJECT, WARN, INFO, HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND, REPLACE, STRIP, IGNORE, PASS, DUNNO/OK act as in Postfix's header_checks(5), logged by cleanup as Postfix does. Applied to mail from smtpd and sendmail (pickup), including Postern's own Received header, not to the notices Postern makes; receive_override_options = no_header_body_checks turns them off for one smtpd service or pickup.");
        p(m, "always_add_missing_headers", BOOL, "no", "Add a missing From: (or, for a message with Resent- headers, Resent-From:), the envelope sender, to mail from every client, not only in a header rewrite context (local_header_rewrite_clients, local submissions, remote_header_rewrite_domain). Postern adds a missing Message-Id and Date (Resent-Message-Id, Resent-Date) to all mail either way.");
        p(m, "enable_original_recipient", BOOL, "yes", "Keep each recipient's original address (as it came in, before canonical mapping and virtual aliasing) with the rewritten one: logged as orig_to=<...> beside to=<...>, shown as \"(expanded from <...>)\" in notices and as orig_address by postern queue -j (Postfix 3.11's postqueue -j). no: not kept. Postern keeps one recipient per address either way (Postfix with yes keeps one per address and original).");
        p(m, "message_drop_headers", LIST, "bcc, content-length, resent-bcc, return-path", "Primary message headers cleanup removes from all mail (after header_checks, which still see them), names compared ignoring case: Bcc: must not reveal the hidden recipients, a Return-Path: is added by the final delivery agent, a Content-Length: from elsewhere is wrong here. Empty: keep them all.");
        p(m, "mime_header_checks", LIST, "$header_checks", "Tables for MIME headers: Content-*, MIME-Version in the primary header and every header of a multipart body part.");
        p(m, "nested_header_checks", LIST, "$header_checks", "Tables for the headers of a message attached as message/rfc822.");
        p(m, "body_checks", LIST, "", "Tables asked about each body line (without its CRLF; a line longer than line_length_limit in pieces of that length), including MIME boundary lines (empty lines are never looked up, as in Postfix); MIME part headers go to mime_header_checks instead. Same actions as header_checks; REPLACE and PREPEND give body lines.");
        p(m, "body_checks_size_limit", SIZE, "51200", "Bytes of each body part (after each header block) that body_checks sees (0: all).").min(0);
        p(m, "disable_mime_input_processing", BOOL, "no", "yes: no MIME parsing while mail is received: everything after the primary header is body (body_checks), so mime_header_checks apply only to Content-* headers of the primary header and nested_header_checks never.");
        p(m, "mime_nesting_limit", INT, "100", "Deepest nesting of multipart boundaries followed while inspecting content: with header_checks, mime_header_checks or nested_header_checks set, a message nested deeper is refused (550 5.6.0 MIME nesting exceeds safety limit), as in Postfix; otherwise deeper boundaries are not followed.").min(1);
        p(m, "mime_boundary_length_limit", INT, "2048", "Characters of a MIME boundary string kept and compared.").min(1);
        p(m, "cleanup_service_name", STRING, "cleanup", "The cleanup service an smtpd service (-o) or pickup (its line's -o) queues its mail through: a master.cf line \"name unix n - - - 0 cleanup\" whose -o header_checks, mime_header_checks, nested_header_checks, body_checks and their limits, and its -o address rewriting (canonical_maps, sender_canonical_maps, recipient_canonical_maps and their classes, masquerade_*, virtual_alias_maps and its limits, propagate_unmatched_extensions, recipient_delimiter; trivial-rewrite's myorigin, mydomain, append_* and remote_header_rewrite_domain stay main.cf's), apply to that mail only (Postfix's way to give the submission service its own header_checks, e.g. to remove the client's Received header). \"cleanup\" needs no line (then main.cf's values). A name without such a line is an error.");
        p(m, "receive_override_options", LIST, "", "Per smtpd service (-o) or on the pickup line: no_header_body_checks turns header_checks, mime_header_checks, nested_header_checks and body_checks off for the mail it receives (as for a content filter's re-injection service). no_address_mappings turns canonical_maps, virtual_alias_maps and masquerade_domains off for it (as for the service a content filter receives from, so the mapping happens once, after the filter). no_unknown_recipient_checks turns off the unknown-recipient check of virtual alias domains (smtpd_reject_unlisted_recipient) on that service. no_milters is accepted and changes nothing: Postern has no milters. Any other word is an error.").oneOf("no_unknown_recipient_checks", "no_address_mappings", "no_header_body_checks", "no_milters");
        p(m, "smtpd_timeout", TIME, "${stress?{10}:{300}}s", "Time to wait for the client's next input; 10s while the service is under stress (all its sessions busy), which also shortens the wait of sessions already idle.").min(1);
        p(m, "smtpd_starttls_timeout", TIME, "${stress?{10}:{300}}s", "Time limit for the TLS handshake.").min(1);
        p(m, "smtpd_per_request_deadline", BOOL, "${stress?{yes}:{no}}", "Make smtpd_timeout a deadline for a whole request instead of a limit per read (limits clients that trickle data). As in Postfix 3.7, on while the service is under stress (all its sessions taken), off otherwise; unset, Postern also turns it on for services that require TLS (encrypt or implicit TLS): a deliberate difference from Postfix. A value set without $stress applies in both states.");
        p(m, "smtpd_per_record_deadline", BOOL, "no", "Postfix 3.6 and earlier's name of smtpd_per_request_deadline, as in Postfix: used when smtpd_per_request_deadline is not set.");
        p(m, "smtpd_min_data_rate", INT, "500", "With smtpd_per_request_deadline = yes: bytes/s that extend the DATA deadline (N bytes add N/rate s, at most smtpd_timeout).").min(1);
        p(m, "smtpd_hard_error_limit", INT, "${stress?{1}:{20}}", "Errors after which the session is ended (421).").min(1);
        p(m, "smtpd_soft_error_limit", INT, "10", "Errors after which each reply is delayed by smtpd_error_sleep_time.").min(1);
        p(m, "smtpd_error_sleep_time", TIME, "1s", "Delay per reply past the soft error limit.").min(0);
        p(m, "smtpd_junk_command_limit", INT, "${stress?{1}:{100}}", "NOOP/RSET/VRFY/ETRN beyond this count as errors.").min(1);
        p(m, "smtpd_recipient_limit", INT, "1000", "Most recipients per message (452 beyond).").min(1);
        p(m, "smtpd_recipient_overshoot_limit", INT, "1000", "How many RCPTs beyond smtpd_recipient_limit (each answered 452 4.5.3) are not counted as errors; the ones after that are.").min(1);
        p(m, "smtpd_client_connection_count_limit", INT, "50", "Simultaneous connections per client address (0: unlimited).").min(0);
        p(m, "smtpd_client_connection_rate_limit", INT, "0", "Connections per client address per anvil_rate_time_unit (0: unlimited); 421 beyond.").min(0);
        p(m, "smtpd_client_message_rate_limit", INT, "0", "MAIL FROM requests per client address per anvil_rate_time_unit (0: unlimited); 450 beyond.").min(0);
        p(m, "smtpd_client_recipient_rate_limit", INT, "0", "RCPT TO requests per client address per anvil_rate_time_unit (0: unlimited); 450 beyond.").min(0);
        p(m, "smtpd_client_new_tls_session_rate_limit", INT, "0", "New (not resumed) TLS sessions per client address per anvil_rate_time_unit (0: unlimited); 421 beyond.").min(0);
        p(m, "smtpd_client_event_limit_exceptions", LIST, "$mynetworks", "Clients exempt from the smtpd_client_*_limit counts and rates.");
        p(m, "default_process_limit", INT, "100", "Default master.cf maxproc (a service's \"-\"): most smtpd sessions per service at once (see postern_smtpd_idle_eviction_time for who gets a place), and most deliveries at once (a reload applies a new value to deliveries started after it).").min(1);
        p(m, "anvil_rate_time_unit", TIME, "60s", "The time unit of the smtpd_client_*_rate_limit rates.").min(1);
        p(m, "smtpd_forbid_bare_newline", STRING, "normalize", "normalize (accept bare LF as a line end, as CRLF), note (normalize, and the disconnect line says notes=bare_lf), reject (550 5.5.2), no; yes is an alias for normalize (Postfix 3.9+).").oneOf("normalize", "yes", "note", "reject", "no");
        p(m, "smtpd_forbid_bare_newline_exclusions", LIST, "$mynetworks", "Clients for which smtpd_forbid_bare_newline reject and note do not apply (as no), Postfix 3.9+.");
        p(m, "smtpd_discard_ehlo_keywords", LIST, "", "EHLO keywords not offered (case-insensitive, comma/space separated): pipelining, size, starttls, auth, enhancedstatuscodes, 8bitmime, dsn, smtputf8 (and Postfix's vrfy, etrn, verp, xclient, xforward, chunking, requiretls, which Postern never offers); silent-discard: do not log \"discarding EHLO keywords: ...\" at each EHLO. As Postfix: a hidden dsn makes RET, ENVID, NOTIFY and ORCPT 501 5.7.1 \"DSN support is disabled\", a hidden starttls makes STARTTLS 502 5.5.1, auth AUTH 503 5.5.1, smtputf8 the SMTPUTF8 option 555 5.5.4; SIZE= and BODY= are still honoured, and replies keep their enhanced status codes. Unknown keywords are ignored, as Postfix, and warned about; hiding starttls where smtpd_tls_security_level = encrypt is an error (nobody could send mail).");
        p(m, "smtpd_discard_ehlo_keyword_address_maps", LIST, "", "Tables looked up by the client's IP address (as Postfix writes it; the whole address only, never the name: use cidr: for networks) whose value, a list as for smtpd_discard_ehlo_keywords, replaces that list for the client. A table that cannot answer makes EHLO 421 4.3.0 \"Server local data error\" and ends the session, as Postfix. check warns about keys that can never match and unknown keywords.");
        p(m, "smtpd_forbid_unauth_pipelining", BOOL, "yes", "Disconnect clients that pipeline where RFC 2920 forbids it.");
        p(m, "smtpd_helo_required", BOOL, "no", "Require HELO or EHLO before MAIL FROM (503 5.5.1 otherwise).");
        p(m, "strict_rfc821_envelopes", BOOL, "no", "Refuse MAIL FROM and RCPT TO addresses without angle brackets (501 5.1.7 / 5.1.3); by default a bare address is accepted, as Postfix does.");
        p(m, "smtpd_peername_lookup", BOOL, "yes", "Look up the client's name (PTR with forward confirmation).");
        f(m, "smtpd_delay_reject", BOOL, "yes", "yes", "Apply client/helo/sender restrictions at RCPT: Postern always does; no has no effect.");
        f(m, "disable_vrfy_command", BOOL, "yes", "yes", "VRFY is always answered 502 5.5.1 (Postfix's yes; its default is no): no has no effect.");
        // smtpd TLS
        p(m, "smtpd_tls_security_level", STRING, "", "none, may or encrypt; verify, secure and fingerprint run as encrypt, with a warning (as Postfix); other words are an error.");
        p(m, "smtpd_use_tls", BOOL, "no", "Obsolete: yes means smtpd_tls_security_level=may.");
        p(m, "smtpd_enforce_tls", BOOL, "no", "Obsolete: yes means smtpd_tls_security_level=encrypt.");
        p(m, "smtpd_tls_cert_file", STRING, "", "Server certificate chain (PEM).");
        p(m, "smtpd_tls_key_file", STRING, "$smtpd_tls_cert_file", "Server private key (PEM, unencrypted).");
        p(m, "smtpd_tls_CAfile", STRING, "", "CA certificates trusted for client certificates (the only trust anchors).");
        n(m, "smtpd_tls_CApath", STRING, "", "Directory of trusted CA certificates (not supported: use smtpd_tls_CAfile).");
        p(m, "smtpd_tls_ask_ccert", BOOL, "no", "Ask clients for a certificate. Without smtpd_tls_CAfile (warned about) none can be verified and only relay_clientcerts fingerprints match, as in Postfix.");
        p(m, "smtpd_tls_req_ccert", BOOL, "no", "Require a trusted client certificate (only with encrypt).");
        p(m, "smtpd_tls_loglevel", INT, "0", "TLS logging: 0 none, 1 summary, 2 certificate details.").min(0);
        p(m, "smtpd_tls_received_header", BOOL, "no", "Put TLS protocol, cipher and client certificate in Received.");
        b(m, "smtpd_tls_session_cache_database", STRING, "", "Built in: Postfix shares TLS sessions between smtpd processes through this file; Postern's one process caches them in memory (see smtpd_tls_session_cache_timeout).");
        p(m, "smtpd_tls_session_cache_timeout", TIME, "3600s", "Lifetime of cached TLS sessions; 0 turns resumption off (cache and tickets), as in Postfix.").range(0, MAX_LIFETIME);
        p(m, "smtpd_tls_mandatory_protocols", STRING, ">=TLSv1.2", "Protocols with encrypt (Postfix syntax). Postfix's default is >=TLSv1; Postern's >=TLSv1.2 is a deliberate difference (TLS 1.0 and 1.1 are deprecated, RFC 8996): set >=TLSv1 for Postfix's.");
        p(m, "smtpd_tls_protocols", STRING, ">=TLSv1.2", "Protocols with may (Postfix syntax). Postfix's default is >=TLSv1; Postern's >=TLSv1.2 is a deliberate difference (RFC 8996): set >=TLSv1 for Postfix's.");
        p(m, "smtpd_tls_fingerprint_digest", STRING, "${{$compatibility_level} < {3.6} ? {md5} : {sha256}}", "Digest for client certificate fingerprints.").oneOf("md5", "sha1", "sha256", "sha384", "sha512");
        p(m, "smtpd_tls_wrappermode", BOOL, "no", "Implicit TLS (port 465).");
        p(m, "postern_smtpd_tls_session_tickets", BOOL, "yes", "Issue TLS session tickets (TLS 1.2 and 1.3) for resumption; no: TLS 1.2 resumes from the session cache only, TLS 1.3 does not resume (OpenSSL provider; the JDK provider ignores it).");
        // Queue
        p(m, "queue_run_delay", TIME, "300s", "How often the deferred queue is scanned.").min(1);
        p(m, "minimal_backoff_time", TIME, "300s", "Least time before a deferred message is retried.").min(1);
        p(m, "maximal_backoff_time", TIME, "4000s", "Most time before a deferred message is retried.").min(1);
        p(m, "maximal_queue_lifetime", TIME, "5d", "Age after which mail still undeliverable is returned to the sender (status=expired, returned to sender).").range(0, MAX_LIFETIME);
        p(m, "bounce_queue_lifetime", TIME, "5d", "maximal_queue_lifetime for mail with the null sender (bounces); expired ones go to 2bounce_notice_recipient or are dropped.").range(0, MAX_LIFETIME);
        p(m, "default_destination_concurrency_limit", INT, "20", "Parallel deliveries to one destination (transport and next hop; 0: no limit); <transport>_destination_concurrency_limit overrides it.").min(0);
        // Routing and SMTP client
        p(m, "relayhost", STRING, "", "Default next hop for non-local mail ([host]:port = no MX lookup).");
        p(m, "default_transport", STRING, "smtp", "Transport (and optional :nexthop) for non-local mail.");
        p(m, "relay_transport", STRING, "relay", "Transport for mail to relay_domains.");
        p(m, "transport_maps", LIST, "", "Tables mapping recipients to transport:nexthop (transport(5): user+ext@domain, user@domain, domain, .domain, *; error:text bounces, retry:text defers).");
        p(m, "sender_dependent_default_transport_maps", LIST, "", "Tables mapping the envelope sender to a transport (transport or transport:nexthop, as default_transport) that overrides default_transport for mail of the default class (not local, not relay_domains); searched as sender_dependent_relayhost_maps, Postern's .parent keys included; DUNNO = use default_transport. The next hop: transport_maps, else the value's :nexthop, else sender_dependent_relayhost_maps, relayhost or the recipient domain. A value without a transport (:nexthop) is an error, its mail deferred, as in Postfix.");
        p(m, "sender_dependent_relayhost_maps", LIST, "", "Tables mapping the envelope sender to a next hop that overrides relayhost (user+ext@domain, user@domain, @domain, then Postern's .parent keys; DUNNO = use relayhost).");
        p(m, "smtp_helo_name", STRING, "$myhostname", "Name sent in EHLO by the SMTP client.");
        p(m, "smtp_connect_timeout", TIME, "30s", "Connect timeout of the SMTP client.").min(0);
        p(m, "smtp_helo_timeout", TIME, "300s", "Greeting and EHLO timeout of the SMTP client.").min(1);
        p(m, "smtp_data_done_timeout", TIME, "600s", "Time to wait for the reply to the final dot.").min(1);
        p(m, "smtp_mail_timeout", TIME, "300s", "Time to wait for the reply to MAIL FROM (with PIPELINING: the first reply to the group).").min(1);
        p(m, "smtp_rcpt_timeout", TIME, "300s", "Time to wait for each reply to RCPT TO.").min(1);
        p(m, "smtp_data_init_timeout", TIME, "120s", "Time to wait for the reply to DATA.").min(1);
        p(m, "smtp_rset_timeout", TIME, "20s", "Time to wait for the reply to RSET (ending a transaction that did not reach the end of data).").min(1);
        p(m, "smtp_data_xfer_timeout", TIME, "180s", "Time a write to the next hop may make no progress (the message content to a server that stops reading; every write of the session is bounded by it): the session ends with \"conversation with ... timed out while sending message body\" and the mail is deferred.").min(1);
        p(m, "smtp_starttls_timeout", TIME, "300s", "Time limit for the reply to STARTTLS and for the TLS handshake after it (Postfix: for each read and write of the handshake; Postern bounds the whole handshake): a server that does not finish it in time gives \"Cannot start TLS: handshake failure\", as other handshake failures. Postfix also bounds the TLS shutdown by it; Postern sends its close_notify and closes without waiting for the server's.").min(1);
        p(m, "smtp_connection_cache_time_limit", TIME, "2s", "How long an idle connection is kept for the next message to the same next hop.").min(1);
        p(m, "smtp_connection_reuse_time_limit", TIME, "300s", "How long after it was opened a connection may still take new messages.").min(1);
        p(m, "smtp_connection_reuse_count_limit", INT, "0", "How many times a connection may be reused (0: no limit).").min(0);
        p(m, "smtp_tls_security_level", STRING, "${{$compatibility_level} < {3.11} ? {} : {may}}", "(Postfix 3.11: may from compatibility_level 3.11 on.) none, may, encrypt, fingerprint, verify or secure for outgoing SMTP (dane and dane-only are refused: not implemented).");
        p(m, "smtp_tls_CAfile", STRING, "", "CA certificates trusted for next-hop server certificates.");
        p(m, "smtp_tls_servername", STRING, "", "Name sent in TLS Server Name Indication: empty sends none (Postfix's default), hostname the server's host name (MX host), nexthop the next-hop domain (both sent in A-labels), anything else that DNS name, in A-labels (xn--...). A policy table's servername= overrides it per destination. Postern sends no SNI when hostname or nexthop is an IP address (Postfix sends the address) or not a letters-digits-hyphens name.");
        p(m, "smtp_tls_cert_file", STRING, "", "Client certificate presented to next hops.");
        p(m, "smtp_tls_key_file", STRING, "$smtp_tls_cert_file", "Its private key.");
        p(m, "smtp_tls_loglevel", INT, "0", "TLS logging of the SMTP client.").min(0);
        p(m, "smtp_tls_policy_maps", LIST, "", "Per-next-hop TLS policy table.");
        p(m, "smtp_tls_mandatory_protocols", STRING, ">=TLSv1.2", "Protocols with encrypt and above (smtp_tls_protocols applies with may). Postfix's default is >=TLSv1; Postern's >=TLSv1.2 is a deliberate difference (RFC 8996).");
        p(m, "smtp_tls_protocols", STRING, ">=TLSv1.2", "Protocols with may. Postfix's default is >=TLSv1; Postern's >=TLSv1.2 is a deliberate difference (RFC 8996).");
        p(m, "smtp_tls_secure_cert_match", LIST, "nexthop, dot-nexthop", "Names a secure server certificate must match (separated by commas, spaces or colons, as in Postfix).");
        p(m, "smtp_tls_verify_cert_match", LIST, "hostname", "Names a verify server certificate must match (separated by commas, spaces or colons, as in Postfix).");
        p(m, "smtp_tls_session_cache_database", STRING, "", "Non-empty: the SMTP client resumes TLS sessions, as Postfix with a cache table; Postern keeps them in memory, per transport, and never opens the table named (check warns), so they are lost at restart and reload. Empty (Postfix's default): every connection has a full handshake.");
        p(m, "smtp_tls_session_cache_timeout", TIME, "3600s", "Lifetime of a cached client TLS session, counted from the full handshake (and never past the expiry of the server's certificates); 0 turns the cache off, a positive value under 120s means 120s, as in Postfix.").range(0, MAX_LIFETIME);
        // Content inspection while the SMTP client sends a message (smtp CheckedContent, Postfix's smtp_header_checks)
        p(m, "smtp_header_checks", LIST, "", "Tables the SMTP client asks about each primary message header as it sends the message (the queue file is not changed), as header_checks: only IGNORE, STRIP, REPLACE, PREPEND, WARN, INFO and DUNNO/OK act; REJECT, HOLD, DISCARD, FILTER, REDIRECT, BCC, PASS and unknown commands are warned about (\"unsupported command in smtp_header_checks map: ...\") and the header is sent. Logged as QUEUEID: replace: header Subject: x: Subject: y. Per transport with -o. SIZE= still announces the queued size, as in Postfix.");
        p(m, "smtp_mime_header_checks", LIST, "", "As smtp_header_checks, for MIME headers (Content-*, MIME-Version anywhere, every header of a multipart part); empty by default, not $smtp_header_checks, so smtp_header_checks never sees those.");
        p(m, "smtp_nested_header_checks", LIST, "", "As smtp_header_checks, for the headers of an attached message/rfc822; empty by default.");
        p(m, "smtp_body_checks", LIST, "", "Tables the SMTP client asks about each body line as it sends the message (MIME parts followed always; no body_checks_size_limit, as in Postfix; long lines in pieces of line_length_limit); the actions of smtp_header_checks.");
        // Address rewriting on output (smtp GenericMaps, Postfix's smtp_map11.c and smtp_header_rewrite())
        p(m, "smtp_generic_maps", LIST, "", "Tables that give the SMTP client the address a next hop sees in place of a queued one (generic(5), for a host without a real Internet domain: user@desktop.localdomain user@example.com): the envelope sender (MAIL FROM, not the null sender), the envelope recipients (RCPT TO; ORCPT keeps the queued address) and the addresses in the message's own From:, To:, Cc:, Reply-To: and other address headers (not in MIME parts or attached messages), as the mail leaves; the queue file is not changed, the log and bounces keep the queued addresses, SIZE= announces the queued size. Keys as canonical_maps (user+ext@domain, user@domain, user for $myorigin and $mydestination, @domain), a result @domain keeps the local part; one lookup per address (a result is not looked up again), only the first of a list result counts; the unmatched extension is carried over when propagate_unmatched_extensions lists generic. A table that cannot answer defers the mail (4.3.0 unknown mail transport error, warning: QUEUEID: smtp_generic_maps map lookup problem for ADDRESS). Per transport with -o.");
        n(m, "smtp_tls_note_starttls_offer", BOOL, "no", "Log next hops that offer STARTTLS when TLS is not on (not yet).");
        f(m, "smtp_skip_quit_response", BOOL, "yes", "yes", "The SMTP client does not wait for the reply to QUIT (Postfix's default): no has no effect.");
        f(m, "tls_append_default_CA", BOOL, "no", "no", "Add the system's CAs to the *_CAfile ones: Postern never does; yes has no effect.");
        // Routing and address-form table searches (qmgr Router, maps AddressSearch)
        p(m, "recipient_delimiter", STRING, "", "Characters that separate a local part from its extension (user+ext): tables are also searched without the extension.");
        p(m, "empty_address_relayhost_maps_lookup_key", STRING, "<>", "The sender_dependent_relayhost_maps key for the null sender.");
        p(m, "empty_address_default_transport_maps_lookup_key", STRING, "<>", "The sender_dependent_default_transport_maps key for the null sender.");
        p(m, "postern_sender_parent_domain_matching", BOOL, "yes", "sender_dependent_relayhost_maps and sender_dependent_default_transport_maps: when Postfix's lookups miss, try .parent keys, most specific first (.example.com matches senders in every subdomain of example.com, not example.com itself).");
        // SMTP client next hops (dns helper): MX lookups, host lookups, TLS fingerprints and cipher grades
        p(m, "smtp_host_lookup", LIST, "dns", "How the SMTP client finds host addresses: dns, native (getaddrinfo: /etc/hosts, nsswitch) or both, in that order.");
        p(m, "smtp_mx_address_limit", INT, "5", "Most MX addresses tried per delivery (0: no limit).").min(0);
        p(m, "smtp_mx_session_limit", INT, "2", "Most SMTP sessions per delivery: servers that answered the connection, counted even when their greeting was refused (0: no limit).").min(0);
        p(m, "smtp_skip_5xx_greeting", BOOL, "yes", "Try the next MX host after a 5xx greeting (else the mail bounces).");
        p(m, "smtp_tls_fingerprint_digest", STRING, "${{$compatibility_level} < {3.6} ? {md5} : {sha256}}", "Digest of server certificate or public key fingerprints for the fingerprint level: md5, sha1, sha256, sha384 or sha512.");
        p(m, "smtp_tls_fingerprint_cert_match", LIST, "", "Accepted server certificate or public key fingerprints when smtp_tls_security_level = fingerprint.");
        p(m, "smtp_tls_ciphers", STRING, "medium", "Cipher grade with opportunistic TLS (may): high, medium, low or export (null is not available).");
        p(m, "smtp_tls_mandatory_ciphers", STRING, "medium", "Cipher grade with mandatory TLS (encrypt and above).");
        p(m, "smtp_tls_exclude_ciphers", LIST, "", "Ciphers left out at every level (TLS 1.2 and older; TLS 1.3 suites only by full name), separated by commas, spaces or colons: suite names, parts of OpenSSL names (CHACHA20, AES128) or OpenSSL cipher properties (aNULL, MD5, SHA1, 3DES, kRSA, kEDH+aRSA for both). A word that names nothing is an error (OpenSSL would skip it, excluding nothing).");
        p(m, "smtp_tls_mandatory_exclude_ciphers", LIST, "", "Ciphers also left out with mandatory TLS (the words of smtp_tls_exclude_ciphers).");
        p(m, "postern_dns_servers", LIST, "", "DNS servers for MX and address lookups (192.0.2.53, [::1]:5353); empty: those of /etc/resolv.conf.");
        // SMTP AUTH in the SMTP client (smtp.SaslClient)
        p(m, "smtp_sasl_auth_enable", BOOL, "no", "Authenticate to next hops with SMTP AUTH (PLAIN, LOGIN) when smtp_sasl_password_maps has credentials for them.");
        p(m, "smtp_sasl_password_maps", LIST, "", "File table (hash:/path, chmod 600) of username:password keyed by sender (with smtp_sender_dependent_authentication), server host name, then next hop as written ([host]:port).");
        p(m, "smtp_sasl_mechanism_filter", LIST, "", "If non-empty, the server's AUTH mechanisms that may be used (names; !name excludes).");
        p(m, "smtp_sasl_security_options", LIST, "noplaintext, noanonymous", "SASL security options without TLS; any word but noanonymous rules out PLAIN and LOGIN.");
        p(m, "smtp_sasl_tls_security_options", LIST, "$smtp_sasl_security_options", "SASL security options over TLS (set noanonymous to allow PLAIN and LOGIN only over TLS).");
        p(m, "smtp_sender_dependent_authentication", BOOL, "no", "Search smtp_sasl_password_maps by sender address first; connections are then reused only for the same sender.");
        p(m, "smtp_sasl_auth_soft_bounce", BOOL, "yes", "Defer (4.x.x) instead of bounce when the server rejects the credentials with a 5xx reply.");
        // After-queue content filtering (smtpd, pickup, cleanup store it; qmgr routes by it)
        p(m, "content_filter", STRING, "", "After-queue content filter, transport:destination (e.g. smtp-amavis:[127.0.0.1]:10024): stored with each message smtpd or pickup (sendmail) queues; the queue manager then delivers every recipient of that message to it, whatever the recipient's route (the filter re-injects the mail, e.g. over SMTP to an smtpd service with -o content_filter=, which queues it without one). Per smtpd service with -o content_filter=..., and for local submissions with -o content_filter=... on master.cf's pickup line (pickup unix n - y 60 1 pickup), as in Postfix; without one, pickup uses main.cf's value. An access(5) FILTER action overrides it; a REDIRECT overrides both, as in Postfix. The transport must be a master.cf smtp transport (name unix - - n - - smtp) or smtp, relay, error or retry: anything else, or no transport before the ':', is an error at check and start (Postfix would defer the mail). Bounces and notices Postern makes are not filtered, as Postfix's are not. The filter stays with a queued message (a reload does not change it) until postern queue requeue, which, as Postfix's postsuper -r, replaces it with pickup's current content_filter (the pickup line's -o, else main.cf's; none when empty).");
        p(m, "default_filter_nexthop", STRING, "", "The next hop of a content_filter or FILTER value that gives none (transport or transport:); empty: the recipient's domain (Postfix 2.7 and later). $myhostname gives Postfix 2.6's behaviour.");
        // Local submission (sendmail, maildrop, pickup)
        p(m, "append_at_myorigin", BOOL, "yes", "Append @$myorigin to addresses without a domain in local mail: sendmail's envelope (with no, they are refused: Postern has no local delivery) and pickup's header addresses.");
        p(m, "swap_bangpath", BOOL, "yes", "Rewrite host!user to user@host (the first !; a!b!c becomes b!c@a) in an address without @, as Postfix's trivial-rewrite: header addresses in a rewrite context (local_header_rewrite_clients, local submissions; other clients only with remote_header_rewrite_domain) table results, and the envelope addresses given to sendmail (sendmail -f joe 'host!user': kept as given, logged as orig_to=). Postern's smtpd refuses ! in envelope addresses.");
        p(m, "allow_percent_hack", BOOL, "yes", "Rewrite user%host to user@host (the last %) in an address without @ and without !, where swap_bangpath applies: header addresses, table results and the envelope addresses given to sendmail. Postern's smtpd refuses % in envelope addresses.");
        p(m, "append_dot_mydomain", BOOL, "${{$compatibility_level} < {1} ? {yes} : {no}}", "Append .$mydomain to a domain without a dot (user@host becomes user@host.$mydomain; not a domain literal) in envelope addresses (SMTP too), table results and header addresses in the local rewrite context; .$remote_header_rewrite_domain in other clients' headers when that is set. Postfix logs each use while the old default is in force unset (compatibility_level below 1: \"using backwards-compatible default setting append_dot_mydomain=yes to rewrite ...\"), and so does Postern (cleanup's trivial-rewrite info line).");
        // Address rewriting in cleanup (rewrite package: canonical(5), virtual(5), masquerading) and on output (smtp_generic_maps)
        p(m, "canonical_maps", LIST, "", "Tables that map a sender or recipient address to another (canonical(5)): for the classes in canonical_classes, after sender_canonical_maps or recipient_canonical_maps. Keys as Postfix: user+ext@domain, user@domain, user (for $myorigin and $mydestination), @domain; a result @domain keeps the local part; looked up again until an address maps to itself (at most 10 times). Applied by cleanup to mail from every source, Postern's own notices too; header addresses only for clients in local_header_rewrite_clients (and all local submissions), or all clients when remote_header_rewrite_domain is set.");
        p(m, "canonical_classes", LIST, "envelope_sender, envelope_recipient, header_sender, header_recipient", "Address classes canonical_maps applies to.").oneOf("envelope_sender", "envelope_recipient", "header_sender", "header_recipient");
        p(m, "sender_canonical_maps", LIST, "", "As canonical_maps, for sender addresses only (envelope sender; From:, Sender:, Reply-To: and the other sender headers), before canonical_maps.");
        p(m, "sender_canonical_classes", LIST, "envelope_sender, header_sender", "Address classes sender_canonical_maps applies to.").oneOf("envelope_sender", "header_sender");
        p(m, "recipient_canonical_maps", LIST, "", "As canonical_maps, for recipient addresses only (envelope recipients; To:, Cc:, Bcc: and the other recipient headers), before canonical_maps.");
        p(m, "recipient_canonical_classes", LIST, "envelope_recipient, header_recipient", "Address classes recipient_canonical_maps applies to.").oneOf("envelope_recipient", "header_recipient");
        p(m, "masquerade_domains", LIST, "", "Domains whose subdomains are hidden (user@host.example.com becomes user@example.com for example.com); the first entry that is the address's domain or a parent of it decides, and !name stops it (!sub.example.com, example.com). After canonical mapping.");
        p(m, "masquerade_classes", LIST, "envelope_sender, header_sender, header_recipient", "Address classes masquerade_domains applies to.").oneOf("envelope_sender", "envelope_recipient", "header_sender", "header_recipient");
        p(m, "masquerade_exceptions", LIST, "", "Local parts (user names, compared ignoring case) never masqueraded, e.g. root. Tables are not supported here (an error).");
        p(m, "virtual_alias_maps", LIST, "$virtual_maps", "Tables that map an envelope recipient to one or more addresses (virtual(5)): each result is looked up again (an address that maps to itself is kept), after canonical mapping; header addresses are never changed. The expanded recipients keep the original address as their ORCPT (DSN original recipient, what a bounce names), as in Postfix. Applied to mail from every source, Postern's own notices too (postmaster can be aliased to a person).");
        p(m, "virtual_alias_domains", LIST, "$virtual_alias_maps", "Domains whose addresses exist only as virtual_alias_maps entries: whole domain names (no subdomains, as Postfix's string list), !exclusions, or tables whose keys are domain names (the default, $virtual_alias_maps, means the domains that are keys of those tables, as a line \"example.com anything\"); a /file entry is an error. Read from main.cf only: an smtpd line's -o is warned about and has no effect, as in Postfix, where smtpd asks trivial-rewrite. smtpd accepts mail for them from any client (an authorized destination, as relay_domains); a recipient no alias table knows is refused at RCPT (smtpd_reject_unlisted_recipient) and, if it gets queued anyway (e.g. by sendmail), bounced 5.1.1 \"User unknown in virtual alias table\". Do not list a domain both here and in mydestination.");
        p(m, "smtpd_reject_unlisted_recipient", BOOL, "yes", "Refuse at RCPT a recipient in virtual_alias_domains that recipient_canonical_maps, canonical_maps and virtual_alias_maps do not know (unknown_virtual_alias_reject_code 5.1.1). Postern has no local or relay recipient tables, so other recipients are not checked.");
        p(m, "unknown_virtual_alias_reject_code", INT, "550", "The reply code for an unknown virtual alias domain recipient.").range(400, 599L);
        p(m, "show_user_unknown_table_name", BOOL, "yes", "Say \"in virtual alias table\" in the unknown-recipient reply.");
        n(m, "virtual_maps", LIST, "", "Obsolete name of virtual_alias_maps (its default): use virtual_alias_maps.");
        p(m, "virtual_alias_recursion_limit", INT, "1000", "Most rounds of virtual alias lookups for one address; past it the message is not accepted (451 4.6.0 Alias expansion error).").min(1);
        p(m, "virtual_alias_expansion_limit", INT, "1000", "Most addresses one recipient may expand to; past it the message is not accepted (451 4.6.0).").min(1);
        p(m, "virtual_alias_address_length_limit", INT, "1000", "Longest address a virtual alias lookup may return; longer is refused (451 4.6.0).").min(1);
        p(m, "propagate_unmatched_extensions", LIST, "canonical, virtual", "Where an address extension the table key did not include (user+foo@x found as user@x) is put back into the result: canonical (canonical_maps and its sender and recipient forms), virtual (virtual_alias_maps), generic (smtp_generic_maps); Postfix's alias, forward and include are accepted (Postern has no local delivery).").oneOf("canonical", "virtual", "generic", "alias", "forward", "include");
        p(m, "local_header_rewrite_clients", LIST, "permit_inet_interfaces", "SMTP clients whose message headers get the local rewriting (an address without a domain gets @$myorigin) and canonical mapping and masquerading: permit_inet_interfaces (the client's address is one of this host's interfaces), permit_mynetworks, permit_sasl_authenticated (AUTH EXTERNAL), permit_tls_clientcerts (relay_clientcerts), permit_tls_all_clientcerts (a trusted client certificate), static:all. Local submissions (sendmail) always get it. Any other word is an error.");
        p(m, "remote_header_rewrite_domain", STRING, "", "For the other clients: empty (the default) leaves their headers alone; a domain appends @domain to header addresses without one and applies the canonical mapping and masquerading to their headers too.");
        // Queue manager and bounces (qmgr, bounce)
        p(m, "qmgr_message_active_limit", INT, "20000", "Most messages in the active queue (in memory) at once.").min(1);
        p(m, "smtp_destination_concurrency_limit", INT, "$default_destination_concurrency_limit", "Parallel deliveries to one destination of the smtp transport (0: no limit).").min(0);
        p(m, "relay_destination_concurrency_limit", INT, "$default_destination_concurrency_limit", "Parallel deliveries to one destination of the relay transport (0: no limit).").min(0);
        p(m, "delay_warning_time", TIME, "0h", "Age after which the sender gets one delay notice (0: never).").range(0, (long) Integer.MAX_VALUE); // Postfix: no bound but its int
        p(m, "bounce_size_limit", SIZE, "50000", "Largest original message returned whole in a bounce; larger ones are returned as headers only.").min(1);
        p(m, "notify_classes", LIST, "resource, software", "Problems reported to the postmaster: bounce (copy of each bounce), 2bounce (undeliverable bounces), delay (copy of each delay notice). Postfix's other classes (data, policy, protocol, resource, software) are accepted but send no notice: warned about when set; any other word is an error, as in Postfix.").oneOf("bounce", "2bounce", "data", "delay", "policy", "protocol", "resource", "software");
        p(m, "bounce_notice_recipient", STRING, "postmaster", "Recipient of postmaster copies of bounces (notify_classes bounce).");
        p(m, "2bounce_notice_recipient", STRING, "postmaster", "Recipient of undeliverable bounces (notify_classes 2bounce).");
        p(m, "delay_notice_recipient", STRING, "postmaster", "Recipient of postmaster copies of delay notices (notify_classes delay).");
        p(m, "double_bounce_sender", STRING, "double-bounce", "Sender of postmaster notices; such a notice that cannot be delivered is discarded.");
        // Spool integrity and disk space (queue package, smtpd MAIL)
        p(m, "queue_minfree", SIZE, "0", "Free bytes the queue file system must keep for MAIL FROM to be accepted; the server also wants 1.5*$message_size_limit free (and room for a SIZE= declared).").min(0);
        // Client name lookups off the event loop (smtpd PeerNames, dns.ClientNames)
        p(m, "postern_smtpd_peername_lookup_timeout", TIME, "10s", "Longest wait for a client's reverse and forward DNS lookups (smtpd_peername_lookup); past it the client is \"unknown\".").range(1L, 300L);
        // Client certificate revocation (tls CrlFile; postern ca crl)
        p(m, "postern_smtpd_tls_crl_file", STRING, "", "CRLs (PEM or DER, signed by a smtpd_tls_CAfile certificate) checked for client certificates; re-read when the file changes. Fails closed: while it is unreadable, holds no valid CRL or one is past its nextUpdate, no client certificate is trusted (logged with the reason). Empty: no revocation check, as Postfix.");
        // PROXY protocol behind a load balancer (smtpd UpstreamProxy, ClientEndpoint)
        p(m, "smtpd_upstream_proxy_protocol", STRING, "", "The proxy protocol in front of smtpd: haproxy (PROXY protocol v1 and v2, as HAProxy's send-proxy/send-proxy-v2) or empty (none). With haproxy, the client address in logs, Received:, mynetworks, access checks and connection limits is the one the proxy reports (a v2 LOCAL header, the proxy's own health check, keeps the proxy's address); a connection without a valid TCP4, TCP6 or LOCAL header is logged as unknown[unknown] and refused with 421 4.3.0, as Postfix (which refuses UNKNOWN too).").oneOf("", "haproxy");
        p(m, "smtpd_upstream_proxy_timeout", TIME, "5s", "Longest wait for the whole proxy protocol header after the connection is accepted.").min(1);
        // AUTH EXTERNAL on the client certificate (smtpd ExternalAuth); server-side password AUTH is not offered
        p(m, "postern_smtpd_auth_external", BOOL, "no", "Offer AUTH EXTERNAL (RFC 4422 appendix A) after TLS with a trusted client certificate; the authorization identity is empty (the certificate's CN is used) or the CN or an email SAN of the certificate. permit_sasl_authenticated then permits such clients. Enable only with a private CA in smtpd_tls_CAfile: every certificate it trusts can authenticate.");
        f(m, "smtpd_sasl_auth_enable", BOOL, "no", "no", "Server-side SASL with passwords (PLAIN, LOGIN through Cyrus or Dovecot) is not offered; certificate-based AUTH EXTERNAL is postern_smtpd_auth_external.");
        // Prometheus metrics (metrics package; server MetricsEndpoint)
        p(m, "postern_metrics_listen", STRING, "", "host:port where GET /metrics serves Prometheus text exposition (e.g. 127.0.0.1:9925; no authentication, so keep it on loopback or a management network). Empty: no metrics, nothing bound. Changing it needs a restart.");
        // Syslog, JSON records and log rotation (log package: MailLog.open, MailLogRotation; postern log rotate)
        p(m, "syslog_facility", STRING, "mail", "Syslog facility of the mail log when maillog_file is empty (mail: rsyslog writes /var/log/mail.log).").oneOf("auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail", "news", "security", "syslog", "user", "uucp", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7");
        p(m, "maillog_file_rotate_suffix", STRING, "%Y%m%d-%H%M%S", "Suffix (strftime: %Y %m %d %H %M %S %y %j %%) appended to $maillog_file by postern log rotate.");
        p(m, "maillog_file_compressor", STRING, "gzip", "Command run on the rotated maillog_file by postern log rotate (empty: leave it uncompressed).");
        p(m, "postern_maillog_format", STRING, "text", "text: Postfix's lines (pflogsumm, logwatch, fail2ban); json: one JSON object per record with the same facts as fields (queue_id, client, tls, from, to, relay, delay, delays, dsn, status, message), in maillog_file, on stdout or as the syslog message.").oneOf("text", "json");
        p(m, "postern_syslog_socket", STRING, "/dev/log", "The local syslog socket (AF_UNIX datagram) the mail log goes to when maillog_file is empty and Postern runs in the background or under systemd; tests point it at a socket of their own.");
        // Room for new clients at an smtpd service's process limit (smtpd SessionLimit; issue 9)
        p(m, "postern_smtpd_idle_eviction_time", TIME, "1s", "At a service's process limit (master.cf maxproc), a session that has waited this long for its client's next command (never one in DATA or committing a message) gives its place to a client that needs one: it is told 421 4.4.2 and closed. Connections are greeted at once and take a place with their first command; until then they count against postern_smtpd_waiting_client_limit. 0: Postfix's behaviour (a place is taken at accept; past the limit new clients wait in the listen backlog, so enough idle clients keep everyone out).").min(0);
        p(m, "postern_smtpd_waiting_client_limit", INT, "1000", "Clients of one smtpd service accepted but without a place yet (silent since the greeting, or with a first command waiting for a place; see postern_smtpd_idle_eviction_time). When they are all there, the one silent the longest (at least postern_smtpd_idle_eviction_time) is closed for each newcomer; if none has been silent that long, new connections wait in the listen backlog. Each costs one descriptor and a few KiB.").min(1);
        ALL = Collections.unmodifiableMap(m);
    }

    /** Implemented: read and honoured by the code (ParamStatusTest finds where). */
    private static Row p(Map<String, Param> m, String name, Param.Type type, String def, String doc) {
        return put(m, new Param(name, type, def, doc, Param.Status.IMPLEMENTED, null, null, null, null));
    }

    /** Accepted but not implemented: check and start warn when it is set. */
    private static Row n(Map<String, Param> m, String name, Param.Type type, String def, String doc) {
        return put(m, new Param(name, type, def, doc, Param.Status.NOT_IMPLEMENTED, null, null, null, null));
    }

    /** Postfix's purpose is met by Postern's design; the doc must say how. Never warned about. */
    private static Row b(Map<String, Param> m, String name, Param.Type type, String def, String doc) {
        return put(m, new Param(name, type, def, doc, Param.Status.BUILT_IN, null, null, null, null));
    }

    /** Postern always behaves as {@code only}; any other value is warned about. */
    private static Row f(Map<String, Param> m, String name, Param.Type type, String def, String only, String doc) {
        return put(m, new Param(name, type, def, doc, Param.Status.FIXED, only, null, null, null));
    }

    private static Row put(Map<String, Param> m, Param p) {
        if (m.put(p.name(), p) != null) {
            throw new IllegalStateException("parameter declared twice: " + p.name());
        }
        return new Row(m, p.name());
    }

    /** Adds Postfix's bounds to the row just declared: {@code p(...).min(1)}, {@code .range(0, MAX_LIFETIME)}. */
    private record Row(Map<String, Param> m, String name) {
        Row min(long min) {
            return range(min, m.get(name).max());
        }

        /** The words Postfix accepts here (its name_code tables); anything else is an error at load. */
        Row oneOf(String... words) {
            m.put(name, m.get(name).withChoices(java.util.List.of(words)));
            return this;
        }

        Row range(long min, Long max) {
            m.put(name, m.get(name).withRange(min, max));
            return this;
        }
    }

    /**
     * Parameters an smtpd service reads from its own configuration, so a master.cf {@code -o} for
     * it takes effect: every smtpd_* one, and these. Every other parameter is read once for the
     * whole server (queue, routing, SMTP client, logging), and an {@code -o} for it is warned
     * about. ServiceScopeTest keeps this equal to what smtpd really reads.
     */
    private static final java.util.Set<String> SMTPD_SERVICE = java.util.Set.of("anvil_rate_time_unit", "compatibility_level",
            "cleanup_service_name", "content_filter",
            "inet_interfaces", "inet_protocols", "line_length_limit", "local_header_rewrite_clients", "mail_name",
            "message_size_limit",
            "myhostname", "mynetworks", "mynetworks_style", "myorigin", "parent_domain_matches_subdomains",
            "postern_dns_servers",
            "receive_override_options",
            "recipient_delimiter", "relay_clientcerts", "smtputf8_enable", "strict_rfc821_envelopes",
            // the reply to an unknown virtual alias recipient (the class itself is main.cf's, as the router's)
            "show_user_unknown_table_name", "unknown_virtual_alias_reject_code");

    /** True when a master.cf {@code -o name=value} on an smtpd service changes what that service does. */
    public static boolean perService(String name) {
        return name.startsWith("smtpd_") || name.startsWith("postern_smtpd_") || SMTPD_SERVICE.contains(name);
    }

    /**
     * Parameters a master.cf delivery transport running {@code smtp} ({@code isp unix ... smtp})
     * reads from its own configuration, so an {@code -o} for them takes effect for that transport:
     * every smtp_* one the SMTP client reads (all but smtp_destination_concurrency_limit, which qmgr
     * reads for the transport named smtp; a transport's own is {@code <name>_destination_concurrency_limit}
     * in main.cf), and these. Every other parameter given with {@code -o} on such a line is warned
     * about. TransportScopeTest keeps this equal to what the SMTP client really reads.
     */
    private static final java.util.Set<String> SMTP_TRANSPORT = java.util.Set.of("compatibility_level", "inet_protocols",
            "minimal_backoff_time", "mydestination", "mydomain", "myhostname", "myorigin", "postern_dns_servers",
            "recipient_delimiter", "syslog_name",
            "append_at_myorigin", "propagate_unmatched_extensions", // smtp_generic_maps
            "swap_bangpath", "allow_percent_hack", "append_dot_mydomain", // smtp_generic_maps results
            "header_size_limit", "line_length_limit", "mime_boundary_length_limit", "mime_nesting_limit"); // smtp_*_checks' MIME walk

    /** True when a master.cf {@code -o name=value} on a delivery transport running smtp changes what that transport does. */
    public static boolean perTransport(String name) {
        return name.startsWith("smtp_") && !name.equals("smtp_destination_concurrency_limit") || SMTP_TRANSPORT.contains(name);
    }

    /**
     * Parameters Postern's pickup reads from master.cf's pickup line, so an {@code -o} there takes
     * effect: as in Postfix, where pickup itself writes the content_filter and logs under its
     * syslog_name, and cleanup (not pickup) adds the Received header and completes addresses, so an
     * -o myhostname or myorigin on the pickup line changes nothing in Postfix either. Any other
     * -o there is warned about; an unknown name is an error. PickupScopeTest keeps this equal to
     * what pickup really reads from its line.
     */
    private static final java.util.Set<String> PICKUP_SERVICE = java.util.Set.of("cleanup_service_name", "content_filter",
            "receive_override_options", "syslog_name");

    /** True when a master.cf {@code -o name=value} on the pickup line changes what pickup does. */
    public static boolean perPickup(String name) {
        return PICKUP_SERVICE.contains(name);
    }

    /**
     * Parameters Postern's cleanup reads from a master.cf cleanup line ({@code name unix n - - - 0
     * cleanup}), so an {@code -o} there applies to the mail of the services that name it in
     * cleanup_service_name: the header and body checks and their limits, and the address rewriting
     * Postfix's cleanup reads from its own service (tables, classes, masquerading, limits). Any other
     * -o there is warned about (Postern's cleanup reads it from main.cf); an unknown name is an error.
     */
    private static final java.util.Set<String> CLEANUP_SERVICE = java.util.Set.of("header_checks", "mime_header_checks",
            "nested_header_checks", "body_checks", "body_checks_size_limit", "disable_mime_input_processing",
            "mime_nesting_limit", "mime_boundary_length_limit",
            // address rewriting as Postfix's cleanup reads it (RewriteSettings.forCleanupService); trivial-rewrite's
            // myorigin, mydomain, append_at_myorigin, swap_bangpath, ... stay main.cf's
            "canonical_maps", "canonical_classes", "sender_canonical_maps", "sender_canonical_classes",
            "recipient_canonical_maps", "recipient_canonical_classes", "masquerade_domains", "masquerade_classes",
            "masquerade_exceptions", "virtual_alias_maps", "virtual_alias_recursion_limit", "virtual_alias_expansion_limit",
            "virtual_alias_address_length_limit", "propagate_unmatched_extensions", "recipient_delimiter");

    /** True when a master.cf {@code -o name=value} on a cleanup line changes what that cleanup service does. */
    public static boolean perCleanup(String name) {
        return CLEANUP_SERVICE.contains(name);
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
                .append("Types, read as Postfix reads them: time is a number with an optional unit s, m, h, d or w; a bare\n")
                .append("number takes the unit of the parameter's default (`maximal_queue_lifetime = 5` is 5 days,\n")
                .append("`smtpd_timeout = 300` is 300 seconds). size is in bytes; bool is yes or no; list is separated by\n")
                .append("commas and/or whitespace. A value that does not parse or is outside the range is an error at\n")
                .append("`postern check` and start, naming file:line.\n\n")
                .append("Implemented: **yes** — honoured; **built in** — Postfix's purpose is met by Postern's design (the\n")
                .append("description says how), the value needs no effect; **only `v`** — Postern always behaves as `v`;\n")
                .append("**no** — accepted so that a Postfix main.cf loads, but it has no effect. `postern check` and start\n")
                .append("warn `main.cf:N: parameter \"x\" is not implemented; it has no effect` for each **no** parameter\n")
                .append("set in main.cf or with master.cf `-o` (and for an **only** parameter set to another value).\n\n")
                .append("master.cf `-o name=value` on an smtpd service takes effect for the smtpd_* parameters and ")
                .append(String.join(", ", new java.util.TreeSet<>(SMTPD_SERVICE))).append("; the others are read once for the ")
                .append("whole server, from main.cf, and an `-o` for them is warned about.\n\n")
                .append("master.cf `-o name=value` on a delivery transport of your own (`isp unix - - n - - smtp`) takes ")
                .append("effect for the smtp_* parameters the SMTP client reads (all but smtp_destination_concurrency_limit) and ")
                .append(String.join(", ", new java.util.TreeSet<>(SMTP_TRANSPORT))).append("; an `-o` for any other parameter is ")
                .append("warned about, and an unknown name is an error. For each such transport T, main.cf's ")
                .append("`T_destination_concurrency_limit` (default `$default_destination_concurrency_limit`) is honoured; ")
                .append("Postfix's other `T_*` transport parameters (`T_destination_recipient_limit`, `T_destination_rate_delay`, ...) ")
                .append("are accepted and warned about as not implemented.\n\n")
                .append("master.cf `-o name=value` on the pickup line (`pickup unix n - y 60 1 pickup`) takes effect for ")
                .append(String.join(", ", new java.util.TreeSet<>(PICKUP_SERVICE))).append(" (local submissions); an `-o` ")
                .append("for any other parameter is warned about, and an unknown name is an error.\n\n")
                .append("| parameter | type | default | range | implemented | description |\n|---|---|---|---|---|---|\n");
        for (Param p : all().values()) {
            sb.append("| `").append(p.name()).append("` | ").append(p.type().name().toLowerCase(java.util.Locale.ROOT)).append(" | ")
                    .append(p.defaultValue().isEmpty() ? "(empty)" : "`" + p.defaultValue().replace("|", "\\|") + "`")
                    .append(" | ").append(Values.range(p)).append(" | ").append(p.statusLabel())
                    .append(" | ").append(p.doc().replace("|", "\\|")).append(" |\n");
        }
        return sb.toString();
    }
}

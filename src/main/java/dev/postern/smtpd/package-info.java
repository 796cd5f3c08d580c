/**
 * smtpd - the SMTP server.
 *
 * <h2>Description</h2>
 * One {@link dev.postern.smtpd.Smtpd} listener per master.cf inet row running smtpd, with the row's
 * {@code -o} overrides applied to its {@link dev.postern.smtpd.SmtpdSettings}. Each connection is a
 * {@code SmtpSession} with an explicit state: greeting (after the client's name is looked up),
 * commands, data, closed. STARTTLS writes {@code 220 2.0.0 Ready to start TLS}, puts the TLS handler
 * first in the pipeline and forgets everything learned before (RFC 3207 §4.2). With
 * {@code smtpd_tls_req_ccert} the handshake always completes; an absent or untrusted certificate is
 * answered on the next command with {@code 421 4.7.1 <host> Error: ...} and the session ends, as
 * Postfix does. Recipients are checked with Postfix's restriction lists (smtpd_delay_reject=yes
 * order: client, helo, sender, relay, recipient); check_*_access tables are searched in Postfix's
 * key orders ({@link dev.postern.maps.AddressSearch}: address forms, parent domains, client
 * address prefixes). Their access(5) actions HOLD, DISCARD, REDIRECT, BCC, FILTER and PREPEND act on the
 * whole message ({@code MessageActions}: collected over the transaction, handed to cleanup at DATA,
 * PREPEND's headers written before the Received header; after a DISCARD nothing more is checked in
 * the transaction); HANGUP closes the connection without a reply. The service's content_filter
 * (main.cf or its -o; {@code -o content_filter=} on an after-queue filter's re-injection service)
 * goes to cleanup with each message, and a FILTER action (validated as Postfix: a value, with a
 * ':') replaces it. DATA streams into cleanup and the 250 is sent only after the queue file is
 * durable (in hold/ for a held message; a discarded one is not kept). A service's sessions are limited by its master.cf maxproc ({@code -} =
 * default_process_limit) as Postfix's process limit, except that a place is taken with the first
 * command, not at accept, and an idle session gives its place to a client that needs one
 * ({@link dev.postern.smtpd.SessionLimit}, postern_smtpd_idle_eviction_time; 0 is Postfix's
 * backlog behaviour; a reload's new values apply at once). A listener's settings, TLS context and restrictions form a
 * {@link dev.postern.smtpd.Smtpd.Generation}: a reload swaps it under the bound socket, so new
 * connections get the new one and sessions in progress keep theirs. accept() errors (EMFILE,
 * ENFILE) pause the listener for 1 s with one warning a minute, never a stack trace
 * ({@code AcceptErrors}). EHLO offers DSN:
 * MAIL takes RET=FULL|HDRS and ENVID=xtext, RCPT takes NOTIFY and ORCPT=type;xtext
 * ({@code DsnParameters}), refused as Postfix does ({@code 501 5.5.4 Bad RET parameter syntax},
 * {@code 501 5.5.4 Error: Bad NOTIFY parameter syntax}, ...) and carried into the queue file.
 * For metrics, a session reports each TLS handshake's result (trusted, untrusted, no_cert, failed;
 * resumed or new) and each reject with the restriction that refused ({@code Restrictions.Refusal});
 * connections and messages are counted by the mail log.
 * Behind a load balancer ({@code smtpd_upstream_proxy_protocol = haproxy}) each connection starts
 * with a PROXY protocol v1 or v2 header, read by {@code UpstreamProxy} before the session exists;
 * {@code ClientEndpoint} is the one source of the client's address for everything else (logs,
 * Received:, mynetworks, access checks, anvil counts and rates). A missing or bad header is
 * Postfix's {@code warning: haproxy read: ...}, then unknown[unknown] and
 * {@code 421 4.3.0 <host> Server local error}.
 * With postern_smtpd_auth_external, a client with a trusted certificate is offered
 * {@code AUTH EXTERNAL} after STARTTLS ({@code ExternalAuth}, RFC 4422 appendix A): the authorization
 * identity is empty (the certificate's CN is used) or the CN or an email SAN; permit_sasl_authenticated
 * then permits it, the queue ID line says {@code client=..., sasl_method=EXTERNAL, sasl_username=...}
 * and the Received header {@code with ESMTPSA}. Password mechanisms are not offered
 * (smtpd_sasl_auth_enable is only "no").
 * smtpd_discard_ehlo_keywords hides EHLO keywords, or, for the client addresses it names,
 * smtpd_discard_ehlo_keyword_address_maps's value does ({@code EhloOffers}, looked up once per
 * connection; each list's replies are built once, {@code EhloOffer}); hidden keywords change what
 * Postfix's smtpd.c changes (DSN parameters 501 5.7.1, STARTTLS 502, AUTH 503, the SMTPUTF8 option
 * 555), and {@code EhloDiscardCheck} reports what Postfix takes silently.
 *
 * <h2>Parameters</h2>
 * myhostname, smtpd_banner, smtpd_tls_security_level (smtpd_use_tls, smtpd_enforce_tls),
 * smtpd_tls_wrappermode, smtpd_tls_cert_file, smtpd_tls_key_file, smtpd_tls_CAfile,
 * smtpd_tls_ask_ccert, smtpd_tls_req_ccert, smtpd_tls_loglevel, smtpd_tls_received_header,
 * smtpd_tls_session_cache_timeout, smtpd_tls_protocols, smtpd_tls_mandatory_protocols,
 * smtpd_tls_fingerprint_digest, smtpd_*_restrictions, mynetworks, mynetworks_style, mydestination,
 * relay_domains, relay_clientcerts, recipient_delimiter and parent_domain_matches_subdomains (access
 * tables), message_size_limit, line_length_limit, smtpd_timeout,
 * smtpd_starttls_timeout, smtpd_hard_error_limit, smtpd_soft_error_limit, smtpd_error_sleep_time,
 * smtpd_junk_command_limit, smtpd_recipient_limit, smtpd_client_connection_count_limit,
 * smtpd_forbid_bare_newline, smtpd_forbid_unauth_pipelining, smtpd_peername_lookup, smtputf8_enable,
 * smtpd_upstream_proxy_protocol, smtpd_upstream_proxy_timeout, postern_smtpd_auth_external,
 * smtpd_discard_ehlo_keywords, smtpd_discard_ehlo_keyword_address_maps, content_filter.
 *
 * <h2>Standards</h2>
 * RFC 5321, RFC 3207 (STARTTLS), RFC 2920 (PIPELINING), RFC 1870 (SIZE), RFC 6152 (8BITMIME),
 * RFC 2034 (ENHANCEDSTATUSCODES), RFC 6531 (SMTPUTF8), RFC 6409 (submission), RFC 3461 (DSN),
 * RFC 4954 and RFC 4422 appendix A (AUTH EXTERNAL), RFC 3848 (ESMTPSA).
 *
 * <h2>Security</h2>
 * Talks to untrusted clients. A PROXY header is trusted as to who the client is, so a service with
 * smtpd_upstream_proxy_protocol must be reachable only from the proxy (bind it to an internal
 * address or firewall it): anyone who can connect can claim any address. Never an open relay: the mail relay safety rule is enforced at
 * start. Routing operators and address literals are refused. Non-SMTP commands (GET, POST,
 * CONNECT, header-like lines) end the session. Client-facing text leaks no configuration. AUTH
 * EXTERNAL trusts every certificate smtpd_tls_CAfile trusts: with a public CA bundle there it would
 * let any certificate holder relay, so it is off by default and meant for a private CA.
 *
 * <h2>Diagnostics</h2>
 * Mail log: connect/disconnect with command counts, TLS established, certificate verification
 * failures, {@code NOQUEUE: reject:} and {@code NOQUEUE: abort: TLS from ...}, access actions as
 * Postfix's log_whatsup() ({@code QUEUEID|NOQUEUE: hold|discard|redirect|bcc|filter|hangup|info|warn:
 * RCPT from host[addr]: text; from=<s> to=<r> proto=ESMTP helo=<h>}), {@code access table ...
 * entry "key" requires user@domain target}, {@code ... requires header: text},
 * {@code ... requires transport:destination} and {@code ... has FILTER entry without value},
 * {@code discarding EHLO keywords: ...} at each EHLO (not with silent-discard),
 * {@code don't know what EHLO features to announce to ...} (a table that cannot answer), timeouts, lost
 * connections (the failure in words, never a Java class name), too many errors,
 * {@code haproxy read: <why>: <the bytes received, escaped>} (timeout error, EOF, bad or missing
 * protocol type, unsupported network protocol, or Netty's reason), and master's
 * {@code service "x" (x) has reached its process limit "N"} warning (at most once per 1000 s).
 */
package dev.postern.smtpd;

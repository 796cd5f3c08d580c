/**
 * smtp - the SMTP client delivery agent.
 *
 * <h2>Description</h2>
 * {@link dev.postern.smtp.SmtpDeliveryAgent} delivers one request per connection to its next hop.
 * A domain next hop ({@code example.com} or {@code example.com:port}) is looked up in the DNS
 * ({@link dev.postern.dns.MxList}): MX hosts by preference, equal preferences shuffled, the domain's
 * own A/AAAA when it has no MX, a null MX ({@code 0 .}) bounces with 5.1.10, NXDOMAIN bounces with
 * 5.4.4, a temporary DNS failure defers with 4.4.3. {@code [host]:port} skips the MX lookup. The
 * addresses are tried in order ({@code NextHopConnector}): the next one after a connection failure or
 * a greeting other than 220 (a 5xx greeting bounces when smtp_skip_5xx_greeting = no), at most
 * smtp_mx_address_limit addresses. As Postfix's smtp_connect.c/smtp_trouble.c, a soft failure later
 * in the session (4xx to EHLO, STARTTLS, AUTH, MAIL, DATA or a recipient's 4xx, a TLS failure, a
 * lost connection) on a server that is not the final one is logged as {@code queueid: reason} and
 * leaves the recipients for the next server; a server is final when no address is left or it is
 * the smtp_mx_session_limit'th that completed the initial handshake (greeting, EHLO, TLS, AUTH);
 * 5xx replies are final. At level may, a failed handshake is retried once in plaintext on the
 * same server, only for mail that has waited minimal_backoff_time and never with SMTP AUTH on
 * (Postfix's PLAINTEXT_FALLBACK_OK rule). Lookups run on the delivery worker thread, never on an
 * event loop.
 *
 * <p>One agent per transport: smtp and relay share one built from main.cf; each master.cf transport
 * of the user's own ({@code isp unix - - n - - smtp -o ...}) gets its own, built from main.cf with
 * the line's -o overrides and logging through a view of the mail log with its syslog_name, so its
 * connection cache, TLS contexts, policy tables and credentials are never mixed with another's.
 *
 * <p>TLS follows smtp_tls_security_level, overridden per next hop by smtp_tls_policy_maps keyed
 * on the next hop verbatim (then {@code .parent} domains) ({@link dev.postern.smtp.TlsPolicy}):
 * none, may, encrypt (TLS required, certificate not checked), fingerprint (the leaf certificate's or
 * its public key's smtp_tls_fingerprint_digest digest in {@code match=a|b} or
 * smtp_tls_fingerprint_cert_match; CA and expiry ignored), verify and secure (chain must verify to
 * smtp_tls_CAfile only; names per smtp_tls_verify_cert_match / smtp_tls_secure_cert_match or the
 * policy's {@code match=a:b}). Policy attributes {@code protocols=}, {@code ciphers=} (a grade)
 * and {@code exclude=} shape the handshake; without them the level picks smtp_tls_protocols or
 * smtp_tls_mandatory_protocols, smtp_tls_ciphers or smtp_tls_mandatory_ciphers, and the exclusion
 * lists. dane, dane-only, unknown level words and unknown attributes are configuration errors at
 * {@code postern check} and start, naming the table's file and line ({@code SmtpDeliveryAgent.validate});
 * a table edited into such a value later defers with 4.7.5 "client TLS configuration problem" —
 * never a weaker level. {@code TlsPolicy.explainTls} says which policy a next hop gets and
 * where it comes from, for {@code postern route}.
 *
 * <p>The capabilities learned before STARTTLS are discarded; bytes sent by the server behind its
 * STARTTLS reply abort the attempt (response injection). Content is dot-stuffed, stray CR/LF become
 * spaces, and only the final {@code CRLF.CRLF} ends the data. When the server offers PIPELINING,
 * MAIL FROM, every RCPT TO and DATA go out in one write (RFC 2920), as Postfix's smtp does;
 * otherwise one command per round trip. When the next hop announces DSN (RFC 3461), MAIL FROM
 * carries the client's ENVID and RET and every RCPT TO an ORCPT (the client's, else
 * {@code rfc822;<recipient>}, as Postfix) and the client's NOTIFY ({@code DsnClientParameters});
 * the next hop then reports success itself. To one that does not, nothing is added, and a
 * NOTIFY=SUCCESS recipient gets our "relayed" notice. A transaction that fails before the end of data is closed
 * with RSET. After a delivery the connection is kept idle (smtp_connection_cache_time_limit, 2s)
 * and reused, within smtp_connection_reuse_time_limit and smtp_connection_reuse_count_limit, for the
 * next message to the same next hop and TLS policy, like Postfix's connection cache, and the
 * delivery line shows {@code conn_use=N}. Unlike Postfix there is no RSET probe before reuse: a
 * cached connection found dead before MAIL FROM is accepted (lost, or 421) is silently replaced.
 * With smtp_tls_session_cache_database set, a new connection offers the TLS session cached for the
 * server under Postfix's serverid ({@code TlsSessionId}: transport, next hop, host, address, port,
 * level, and a digest of the EHLO name, protocols, ciphers, SNI and match names or fingerprints);
 * the sessions live in memory ({@link dev.postern.tls.ClientSessionCache}) for
 * smtp_tls_session_cache_timeout from the full handshake, and a resumed one is judged on the server
 * certificates it carries exactly as a full handshake is ({@code TlsHandshake}).
 *
 * <p>Threads: a delivery runs on one of qmgr's delivery workers, which does its connection's socket
 * I/O itself on a blocking socket ({@code SmtpConnection}), as Postfix's smtp process does: it waits
 * for each reply anyway, and an event loop between the worker and the socket cost two thread
 * hand-offs per reply. The bytes still pass through Netty handlers (TLS, {@code ReplyDecoder}) in
 * a pipeline the worker drives, so framing, reply bounds and TLS are those of the server side.
 * A write to a next hop that stops reading is bounded by smtp_data_xfer_timeout ({@code WriteWatchdog}):
 * no progress for that long ends the session, and the mail is deferred.
 *
 * <p>Header and body checks ({@code CheckedContent}, Postfix's smtp_proto.c smtp_header_rewrite()
 * and smtp_body_rewrite() over mime_state, header_body_checks.c hbc_action()): with
 * smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks or smtp_body_checks set,
 * the queued content is read through the checks package's {@code ContentInspector} on its way to
 * dot-stuffing, so what is sent changes and the queue file does not (a deferred message is checked
 * again at each attempt; SIZE= announces the queued size, as Postfix's request->data_size). MIME
 * is always followed (no disable_mime_input_processing) and body lines are checked to the end of
 * each part (no body_checks_size_limit), as in Postfix's smtp. Only IGNORE, STRIP, REPLACE,
 * PREPEND, WARN, INFO and DUNNO/OK act; the actions on the message (REJECT, HOLD, DISCARD,
 * FILTER, REDIRECT, BCC, PASS) and unknown commands are "unsupported" warnings and the header or
 * line is sent. Without a table the queue file's stream goes to the socket as it always did: no
 * inspector, no copy. The tables are opened with the agent (per transport, from main.cf and the
 * line's -o; a reload builds new agents); a regexp or texthash table edited on disk is re-read by
 * the table itself.
 *
 * <p>Output address rewriting ({@code GenericMaps}, Postfix's smtp_map11.c, smtp_misc.c
 * smtp_rewrite_generic_internal() and smtp_proto.c smtp_header_rewrite()): with smtp_generic_maps,
 * MAIL FROM (never the null sender) and each RCPT TO carry the address the table gives, looked
 * up once (no nesting; the first of a list result, with a warning), keys as mail_addr_find(), the
 * unmatched extension carried over when propagate_unmatched_extensions lists generic; ORCPT, the
 * results, the log and bounces keep the queued addresses. The message's own sender and recipient
 * headers (header_opts.c: From, To, Cc, Reply-To, ...) are rewritten on the same header walk as
 * the checks, after smtp_header_checks: a header with an address the table knows (even mapped to
 * itself) is rebuilt and folded by {@code rewrite.HeaderAddresses}, the rest go out byte for byte;
 * MIME part headers and attached messages never change. With smtp_generic_maps and no check
 * table, MIME is not followed (MIME_OPT_DISABLE_MIME). SIZE= announces the queued size.
 *
 * <p>SMTP AUTH ({@link dev.postern.smtp.SaslClient}, as Postfix's smtp_sasl_proto.c and
 * smtp_sasl_glue.c): with smtp_sasl_auth_enable, after the last EHLO (the one after STARTTLS)
 * and before MAIL FROM. The server's AUTH mechanisms (also the old {@code AUTH=} form) pass
 * smtp_sasl_mechanism_filter. smtp_sasl_password_maps is searched, every table per key, by the
 * sender ({@code user+ext@domain}, {@code user@domain}, {@code user} for local domains,
 * {@code @domain}: maps.AddressSearch's mail_addr_find() order) when
 * smtp_sender_dependent_authentication = yes, then the server's host name, then the next hop as
 * written ({@code [host]:port}); the value is {@code username:password}, split at the first colon.
 * No entry: the session goes on unauthenticated, like Postfix. An entry: PLAIN (initial response)
 * or else LOGIN, if the session's security options allow plaintext mechanisms
 * (smtp_sasl_tls_security_options after STARTTLS, smtp_sasl_security_options otherwise; Postfix's
 * default {@code noplaintext, noanonymous} allows neither, even over TLS). CRAM-MD5, SCRAM and the
 * other Cyrus mechanisms are not implemented. With sender-dependent credentials a cached
 * connection serves only its sender. The password is sent only inside the AUTH exchange.
 *
 * <h2>Parameters</h2>
 * smtp_helo_name, smtp_connect_timeout, smtp_helo_timeout, smtp_data_done_timeout, smtp_mail_timeout,
 * smtp_rcpt_timeout, smtp_data_init_timeout, smtp_rset_timeout, smtp_data_xfer_timeout, smtp_starttls_timeout,
 * smtp_host_lookup, smtp_mx_address_limit, smtp_mx_session_limit, smtp_skip_5xx_greeting,
 * inet_protocols, postern_dns_servers, smtp_tls_security_level, smtp_tls_policy_maps,
 * smtp_tls_CAfile, smtp_tls_cert_file, smtp_tls_key_file, smtp_tls_protocols,
 * smtp_tls_mandatory_protocols, smtp_tls_ciphers, smtp_tls_mandatory_ciphers,
 * smtp_tls_exclude_ciphers, smtp_tls_mandatory_exclude_ciphers, smtp_tls_fingerprint_digest,
 * smtp_tls_fingerprint_cert_match, smtp_tls_loglevel, smtp_tls_secure_cert_match,
 * smtp_tls_verify_cert_match, smtp_tls_servername, smtp_tls_session_cache_database, smtp_tls_session_cache_timeout,
 * smtp_connection_cache_time_limit, smtp_connection_reuse_time_limit,
 * smtp_connection_reuse_count_limit, smtp_sasl_auth_enable, smtp_sasl_password_maps,
 * smtp_sasl_mechanism_filter, smtp_sasl_security_options, smtp_sasl_tls_security_options,
 * smtp_sender_dependent_authentication, smtp_sasl_auth_soft_bounce, smtp_header_checks,
 * smtp_mime_header_checks, smtp_nested_header_checks, smtp_body_checks, smtp_generic_maps (and
 * recipient_delimiter for sender keys; myorigin and mydestination for local-part keys;
 * append_at_myorigin and propagate_unmatched_extensions for smtp_generic_maps; header_size_limit,
 * mime_nesting_limit, mime_boundary_length_limit and line_length_limit for the checks' MIME walk).
 *
 * <h2>Standards</h2>
 * RFC 5321 (SMTP, §5.1 MX), RFC 7505 (null MX), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING),
 * RFC 4954 (AUTH), RFC 4616 (PLAIN), RFC 3461 (DSN).
 *
 * <h2>Security</h2>
 * The SASL password is read only from smtp_sasl_password_maps, which must be a file table
 * (inline: and static: are refused: they would put it in main.cf), and never reaches a log line, a
 * delivery result, an exception message or {@code SaslClient.explainSasl}; {@code PasswordLookup.Credentials}
 * prints without it, and a broken table line is reported by file:line without its text.
 * {@code postern check} warns when the file is missing or readable by every user.
 *
 * <h2>Diagnostics</h2>
 * Postfix's wording: {@code connect to h[a]:p: Connection refused}, {@code host h[a] refused to talk
 * to me: 421 ...}, {@code Host or domain name not found. Name service error for name=d type=MX: Host
 * not found} (5.4.4; {@code , try again}: 4.4.3), {@code Domain d does not accept mail (nullMX)}
 * (5.1.10, RFC 7505's code for null MX; Postfix's smtp client says 5.1.0), {@code TLS is required,
 * but was not offered by host h[a]} (4.7.4), {@code Cannot start TLS: handshake failure} and {@code Server certificate not verified} (4.7.5, with a log line
 * {@code server certificate verification failed for h[a]: reason}), {@code host h[a] said: ... (in
 * reply to RCPT TO command)}; 5xx replies bounce the recipient, everything else defers. With
 * smtp_tls_loglevel >= 1: {@code Verified TLS connection established to h[a]:p: TLSv1.3 with cipher
 * TLS_AES_128_GCM_SHA256 (128/128 bits)} (Trusted, Untrusted, Anonymous as Postfix), also for a
 * resumed session; at 2, as Postfix's TLS_LOG_CACHE: {@code looking for session ID in smtp cache},
 * {@code h[a]:p: Reusing old session}, {@code remove session ID from client cache}.
 * SMTP AUTH, all 4.7.0 unless
 * the server's reply says otherwise: {@code SASL authentication failed; server h[a] said: 535 5.7.8 ...}
 * (the server's code, 5.x.x made 4.x.x while smtp_sasl_auth_soft_bounce = yes), {@code SASL
 * authentication failed; cannot authenticate to server h[a]: no mechanism available} (no allowed
 * mechanism; a warning names the security option at fault), {@code SASL authentication failed: server
 * h[a] offered no compatible authentication mechanisms for this type of connection security} (the
 * filter left none), {@code local data error while talking to h[a]} (4.3.0, table lookup error). A
 * warning says when a server with credentials offered no AUTH (Postfix is silent there).
 * Header and body checks, as Postfix's smtp_hbc_logger(): {@code QUEUEID: replace: header
 * Subject: x: Subject: y} (also prepend, strip, info, warning; the content cut at 200 characters,
 * control characters as '?'; IGNORE is not logged), {@code warning: unsupported command in
 * smtp_header_checks map: HOLD}; a table that cannot answer: {@code warning: QUEUEID: smtp header
 * checks lookup error} (or body), the session dropped without QUIT in the middle of DATA and the
 * recipients deferred with {@code local data error while talking to h[a]} (4.3.0).
 * smtp_generic_maps: {@code warning: multi-valued smtp_generic_maps result for ADDRESS}; a table
 * that cannot answer: {@code warning: QUEUEID: smtp_generic_maps map lookup problem for ADDRESS}
 * (Postfix's smtp ends with that text as a fatal error; Postern goes on with its other mail), the
 * session dropped without QUIT (in the middle of DATA for a header address) and the recipients
 * deferred with {@code unknown mail transport error} (4.3.0, qmgr's wording for Postfix's dead
 * delivery agent); the message is tried again as any deferred mail.
 */
package dev.postern.smtp;

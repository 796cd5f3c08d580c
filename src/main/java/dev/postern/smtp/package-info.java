/**
 * smtp - the SMTP client delivery agent.
 *
 * <h2>Description</h2>
 * {@link dev.postern.smtp.SmtpDeliveryAgent} delivers one request per connection to its next hop:
 * {@code [host]:port} or {@code host:port} connect to that host's addresses in turn; a bare domain
 * is resolved as a host name (MX lookups are not implemented yet). TLS follows
 * smtp_tls_security_level, overridden per next hop by smtp_tls_policy_maps keyed on the next hop
 * verbatim (then {@code .parent} domains): none, may, encrypt (TLS required, certificate not
 * checked), verify and secure (chain must verify to smtp_tls_CAfile only; names per
 * smtp_tls_verify_cert_match / smtp_tls_secure_cert_match or the policy's {@code match=}). The
 * capabilities learned before STARTTLS are discarded; bytes sent by the server behind its STARTTLS
 * reply abort the attempt (response injection). Content is dot-stuffed, stray CR/LF become spaces,
 * and only the final {@code CRLF.CRLF} ends the data. When the server offers PIPELINING, MAIL FROM,
 * every RCPT TO and DATA go out in one write (RFC 2920), as Postfix's smtp does; otherwise one
 * command per round trip. A transaction that fails before the end of data is closed with RSET.
 * After a delivery the connection is kept idle (smtp_connection_cache_time_limit, 2s) and reused,
 * within smtp_connection_reuse_time_limit and smtp_connection_reuse_count_limit, for the next message to
 * the same next hop and TLS policy, like Postfix's connection cache, and the delivery line shows
 * {@code conn_use=N}. Unlike Postfix there is no RSET probe before reuse: a cached connection found
 * dead before MAIL FROM is accepted (lost, or 421) is silently replaced by a new one.
 *
 * <h2>Parameters</h2>
 * smtp_helo_name, smtp_connect_timeout, smtp_helo_timeout, smtp_data_done_timeout,
 * smtp_tls_security_level, smtp_tls_policy_maps, smtp_tls_CAfile, smtp_tls_cert_file,
 * smtp_tls_key_file, smtp_tls_protocols, smtp_tls_loglevel, smtp_tls_secure_cert_match,
 * smtp_tls_verify_cert_match.
 *
 * <h2>Diagnostics</h2>
 * Postfix's wording: {@code connect to h[a]:p: Connection refused}, {@code TLS is required, but was
 * not offered by host h[a]} (4.7.4), {@code Cannot start TLS: handshake failure} and
 * {@code Server certificate not verified} (4.7.5), {@code host h[a] said: ... (in reply to RCPT TO
 * command)}; 5xx replies bounce the recipient, everything else defers.
 */
package dev.postern.smtp;

/**
 * SMTP wire format shared by the server, the sink and the load generator.
 *
 * <h2>Description</h2>
 * {@link dev.postern.protocol.SmtpInputDecoder} frames the client's bytes into command lines and
 * message content with bounded memory. Data ends only on {@code CRLF . CRLF}; a dot line after a
 * bare LF or CR, or ended by one, is content (SMTP smuggling, CVE-2023-51764 family). Stray CR
 * and LF bytes inside content are replaced by spaces so nothing ambiguous is ever relayed; bare-LF
 * line endings are normalised to CRLF and flagged. Bytes pipelined behind STARTTLS are discarded
 * in the decoder itself (CVE-2011-0411), before any handler could see them.
 *
 * <h2>Standards</h2>
 * RFC 5321 (commands, dot-stuffing, line limits), RFC 2920 (pipelining groups), RFC 3207 (STARTTLS).
 *
 * <h2>Security</h2>
 * Everything here parses untrusted input; limits are constructor arguments.
 */
package dev.postern.protocol;

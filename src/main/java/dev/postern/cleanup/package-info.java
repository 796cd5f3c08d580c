/**
 * cleanup - canonicalize and enqueue.
 *
 * <h2>Description</h2>
 * The single intake of the queue. A {@link dev.postern.cleanup.CleanupTransaction} receives the
 * recipients and the content (smtpd's Received header first), holds the header section in memory
 * (at most header_size_limit) to add a missing Message-Id and Date at its end, streams the rest (in
 * hand-offs of up to 256 KiB, so a small message costs one I/O task) to
 * a temp file, and on commit fsyncs, publishes the file under its queue ID (group commit) and only
 * then completes, logs {@code QID: message-id=<...>} and wakes qmgr. All file I/O runs on
 * cleanup's threads (as many as the writes in progress have needed at once, at most
 * max(32, 8 x CPUs) so fsyncs overlap; one ended after a minute without work); callers on Netty
 * event loops never block. Back-pressure: a transaction counts
 * the content bytes it holds in memory (written, not yet in the file); past 1 MiB
 * ({@code CleanupTransaction.BACKLOG_LIMIT}) {@code writable()} returns a future that completes
 * when the writer has caught up to half of that, and smtpd stops reading its client meanwhile.
 * The free-space check at MAIL ({@code Cleanup.space}, Postfix's queue_minfree rule) reads a value
 * that {@code FreeSpace} refreshes off the event loop every second and after each commit.
 * Access-table actions from smtpd, set before the content: {@code hold()} commits into hold/ (the
 * queue manager never sees it; durable before the 250 as any message); {@code discard()} keeps
 * nothing (no file is written) and logs {@code removed (discarded)}; {@code redirect()} and
 * {@code addBcc()} change the recipients written to the queue file ({@code RedirectAndBcc}: what
 * Postfix's qmgr would deliver to, since Postern's queue manager reads no redirect record).
 * {@code filter()} (smtpd's or pickup's content_filter, then an access(5) FILTER, the last call
 * winning) is written as the queue file's {@code filter} line, which the queue manager routes
 * by; a redirect overrides it (no filter is written), as Postfix's qmgr resolves a redirect before
 * it looks at the filter. Bounces, opened by the bounce package, never get one. A message with
 * none of them costs nothing more.
 * <p>Header and body checks (Postfix's cleanup_message.c over mime_state.c): when header_checks,
 * mime_header_checks, nested_header_checks or body_checks name a table, the checks package's {@code ContentInspector}
 * reads the content as it passes on the I/O chain, cut into lines (pieces of line_length_limit),
 * follows the MIME structure (multipart boundaries, message/rfc822) and asks each logical header
 * (folded lines joined by a newline) the table of its class and each body line body_checks (the
 * first body_checks_size_limit bytes of each part). {@code CheckActions} does what the value says,
 * as Postfix's cleanup_act(), and logs its line; IGNORE, REPLACE and PREPEND change the content,
 * lines nothing matched go on byte for byte. HOLD, DISCARD, FILTER, REDIRECT and BCC use the same
 * paths as the access actions; one found after the queue file was started (far into the body)
 * rewrites the envelope in place ({@code SpoolWriter.replaceEnvelope}). A REJECT ends the message
 * at commit: 550 5.7.1 (or 451 for a 4.x.x code), the file dropped. The hop count is taken before
 * checks remove Received headers. receive_override_options = no_header_body_checks and Postern's
 * own notices skip all of it ({@code skipHeaderBodyChecks()}).
 *
 * <p>Address rewriting (Postfix's cleanup_addr.c, cleanup_map11.c, cleanup_map1n.c,
 * cleanup_masquerade.c, cleanup_rewrite_sender()/recip()), one {@code MessageRewrite} per message:
 * at the first content byte, {@code EnvelopeRewrite} passes the sender and each recipient through the rewrite package's
 * canonical maps and masquerading, then each recipient through virtual_alias_maps (expanded ones
 * keep the address they came from as ORCPT; duplicates once), and {@code HeaderRewrite} rewrites
 * the addresses of the primary header's sender and recipient headers in the local context (or
 * the remote one, with remote_header_rewrite_domain, for clients smtpd did not find in
 * local_header_rewrite_clients). A table that fails or a limit passed refuses the message at
 * commit (451 4.3.0, or 451 4.6.0 Alias expansion error) with Postfix's warning.
 *
 * <p>Inside, {@code SpoolTransaction} owns the I/O chain (hand-offs, back-pressure, the queue
 * file, commit's refusals in Postfix's order) and wires a message's parts: {@code MessageEnvelope}
 * (recipients, access and check actions, the queue file's envelope), {@code HeaderStage} (the
 * header section: header_size_limit, rewriting, the fixed block, message_drop_headers, the hop
 * count, {@code message-id=}) and {@code ContentCheckTarget} (what header and body checks do).
 *
 * <h2>Parameters</h2>
 * myhostname, message_size_limit, header_size_limit, queue_minfree, hopcount_limit, header_checks,
 * mime_header_checks, nested_header_checks, body_checks, body_checks_size_limit,
 * disable_mime_input_processing, mime_nesting_limit, mime_boundary_length_limit, line_length_limit;
 * canonical_maps, sender_canonical_maps, recipient_canonical_maps and their *_classes,
 * masquerade_domains, masquerade_classes, masquerade_exceptions, virtual_alias_maps and its
 * limits, propagate_unmatched_extensions, remote_header_rewrite_domain, myorigin, mydestination,
 * recipient_delimiter, append_at_myorigin. A master.cf cleanup line's -o sets the checks and the
 * rewriting tables, classes and limits of its own service (CleanupSettings.serviceRewriting);
 * trivial-rewrite's parameters (myorigin, mydomain, append_*, swap_bangpath, allow_percent_hack)
 * and remote_header_rewrite_domain are main.cf's.
 *
 * <h2>Diagnostics</h2>
 * {@code 552 5.3.4 Error: message file too big}; {@code 451 4.3.0 Error: queue file write error}
 * with a warning naming the cause; {@code QUEUEID: removed (discarded)} (Postfix 3.10's cleanup),
 * after its {@code message-id=} line, for a discarded message; for header and body checks,
 * cleanup_act_log()'s {@code QUEUEID: reject: header Subject: ... from host[addr]; from=<s> to=<r>
 * proto=ESMTP helo=<h>: 5.7.1 message content rejected} (also warning, info, hold, discard, filter,
 * redirect, bcc, prepend, replace, strip, pass), and Postfix's warnings for bad actions ("unknown
 * command in header_checks map: ...") and tables that cannot answer (451 4.3.0).
 */
package dev.postern.cleanup;

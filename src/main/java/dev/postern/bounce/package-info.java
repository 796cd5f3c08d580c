/**
 * bounce - delivery status notifications.
 *
 * <h2>Description</h2>
 * {@link dev.postern.bounce.Bounce} turns the queue manager's failed, expired or delayed
 * recipients ({@link dev.postern.bounce.Report}, {@link dev.postern.bounce.RecipientStatus}) into
 * an RFC 3464 report laid out as Postfix's bounce(8) writes it: {@code multipart/report;
 * report-type=delivery-status} from {@code MAILER-DAEMON@$myhostname (Mail Delivery System)}, a
 * human-readable part with Postfix's built-in template text ("This is the mail system at host
 * ..."), a {@code message/delivery-status} part (Reporting-MTA, X-Postfix-Queue-ID,
 * X-Postfix-Sender, Arrival-Date; per recipient Final-Recipient, Original-Recipient, Action,
 * Status, Remote-MTA, Diagnostic-Code, Will-Retry-Until for delays), and the original as
 * {@code message/rfc822} up to bounce_size_limit, its headers as {@code text/rfc822-headers}
 * beyond that (and always for delay notices and postmaster copies). Each notice is queued through
 * {@link dev.postern.cleanup.Cleanup} with the null sender, so it is durable before the queue
 * manager forgets what it reports. Notices are never sent through a content filter (they carry
 * no content_filter, as Postfix's bounce daemon writes no FILTER record): they are routed as any
 * mail with the null sender.
 *
 * <p>Never a bounce of a bounce: a failed message with the null sender goes to
 * 2bounce_notice_recipient when notify_classes contains {@code 2bounce}, else it is discarded
 * ({@code QID: undeliverable bounce discarded ...}). Postmaster notices are sent from
 * double_bounce_sender; one of those that fails is discarded ({@code undeliverable postmaster
 * notification discarded}). notify_classes {@code bounce} and {@code delay} send the postmaster a
 * headers-only copy of each bounce and delay notice.
 *
 * <h2>The DSN SMTP extension (RFC 3461)</h2>
 * Each recipient carries its NOTIFY set ({@link dev.postern.bounce.RecipientStatus#notifyOn()}:
 * empty = Postfix's default, failures and delays) and its ORCPT; the report carries RET (FULL or
 * HDRS) and ENVID, all as the client gave them to smtpd. NOTIFY=NEVER gets no notice; a delay
 * notice lists only the recipients that want DELAY; RET=HDRS returns the headers only; ENVID is
 * the Original-Envelope-Id field; the ORCPT is the Original-Recipient field (else, as Postfix
 * always reports one, {@code rfc822; <recipient>}). NOTIFY=SUCCESS gets a success notice
 * ({@link dev.postern.bounce.Bounce#delivered}: "Successful Mail Delivery Report", headers only,
 * Action {@code relayed} when the next hop did not offer DSN, {@code delivered} on final
 * delivery); a next hop that offered DSN took the request over and we send nothing.
 *
 * <h2>Parameters</h2>
 * myhostname, myorigin, bounce_size_limit, notify_classes, bounce_notice_recipient,
 * 2bounce_notice_recipient, delay_notice_recipient, double_bounce_sender, delay_warning_time and
 * maximal_queue_lifetime (quoted in the delay notice).
 *
 * <h2>Standards</h2>
 * RFC 3464 (delivery status notifications), RFC 6522 (multipart/report), RFC 3461 §6 (NOTIFY,
 * RET, ORCPT), RFC 3834 (Auto-Submitted), RFC 3463 (status codes).
 *
 * <h2>Diagnostics</h2>
 * {@code QID: sender non-delivery notification: NEWID}, {@code QID: sender delay notification:
 * NEWID}, {@code QID: sender delivery status notification: NEWID} (success), {@code QID: postmaster non-delivery notification: NEWID} (service {@code bounce}); a
 * notice that cannot be queued is a warning, and the queue manager keeps the recipients to try
 * again.
 *
 * <h2>Security</h2>
 * Reads the original message from the queue; writes only through cleanup. Quotes remote replies
 * (one line each) into the report; never follows anything in the original.
 */
package dev.postern.bounce;

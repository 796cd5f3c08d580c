/**
 * pickup - local mail submission: the maildrop directory, sendmail's side of it, and the daemon's
 * pickup thread.
 *
 * <h2>Description</h2>
 * {@code postern sendmail} (and {@code sendmail -bs}, through {@link dev.postern.pickup.StandaloneSmtp})
 * writes each message as one file in {@code $queue_directory/maildrop} ({@link dev.postern.pickup.Maildrop}):
 * temp file, fsync, rename, fsync of the directory, and only then exit 0 — so it works while the
 * daemon is down, and a message it accepted is on disk. Addresses are written as given
 * ({@code root}, {@code host!user}), as Postfix's postdrop writes them, once sendmail has checked
 * that cleanup can complete them; pickup completes them in cleanup's local context
 * ({@code Cleanup.localForm}: {@code @$myorigin}, swap_bangpath, allow_percent_hack,
 * append_dot_mydomain) and passes each recipient as given on as its original ({@code orig_to=<root>}). {@link dev.postern.pickup.Pickup} runs in
 * the daemon: it watches maildrop/ (file-system events plus a scan every second), submits each
 * file through cleanup with a Received header naming the submitting user ID and a From header
 * added when missing ({@link dev.postern.pickup.LocalHeaders}; cleanup then removes Bcc and
 * Resent-Bcc (message_drop_headers) and completes unqualified header addresses with
 * {@code @$myorigin}, as for any local client, and maps them) and its content_filter kept
 * with it (Postfix's pickup writes that FILTER record): master.cf's pickup line's -o, else main.cf's
 * ({@link dev.postern.pickup.PickupSettings}: a filter set only on that line must not be bypassed
 * by sendmail mail), and deletes the file only after cleanup's commit. Duplicate recipients are dropped, as Postfix's cleanup does. The file format is {@link dev.postern.pickup.MaildropFile}.
 *
 * <p>A queue file in maildrop/ is a message {@code postern queue requeue} moved there (Postfix's
 * postsuper -r): pickup submits it through cleanup again with a new queue ID, logging
 * {@code NEWID: uid=N from=<sender> orig_id=OLDID}, keeping its envelope (recipients not yet
 * done, NOTIFY/ORCPT, originals, arrival time, header context) and applying its own
 * content_filter and receive_override_options, as for sendmail mail. Only the mail system's own
 * file is trusted (owned by the queue directory's owner, no group or other permission: Postfix's
 * MAIL_IS_REQUEUED); any other, or a damaged one, is moved aside with a warning.
 *
 * <h2>Parameters</h2>
 * queue_directory, myhostname and mail_name (the Received header), trivial-rewrite's myorigin,
 * mydomain, append_at_myorigin, swap_bangpath, allow_percent_hack and append_dot_mydomain
 * (sendmail checks envelope addresses with them; cleanup completes them and the header addresses), message_size_limit
 * (sendmail keeps 2 KiB below it for the headers added later), smtpd_banner (the -bs greeting),
 * content_filter and syslog_name (also from the pickup line's -o: {@code <syslog_name>/pickup}).
 *
 * <h2>Security</h2>
 * maildrop/ is owner-only (0700, files 0600): only the user the daemon runs as (and root) can
 * submit through it, which suits a desktop MTA run by one user. Postfix's set-gid postdrop is not
 * reproduced; another user gets "Permission denied" from sendmail (exit 73) and can submit over
 * SMTP on loopback. The user ID logged is the file's owner, not what the file claims.
 *
 * <h2>Diagnostics</h2>
 * {@code pickup[pid]: QUEUEID: uid=1000 from=<user>} per message (the sender as given), as Postfix. A message
 * cleanup refuses for good (over message_size_limit, lowered after sendmail took it) is returned
 * to its sender as Postfix's cleanup does for local mail ({@link dev.postern.pickup.SenderReturn}:
 * {@code cleanup[pid]: QUEUEID: to=<r>, relay=none, ..., dsn=5.3.4, status=bounced (message file
 * too big)}, {@code bounce[pid]: QUEUEID: sender non-delivery notification: ID}, {@code QUEUEID:
 * removed}); pickup therefore imports bounce (ARCHITECTURE.md: pickup is a tier above bounce). A file that
 * is not a complete maildrop file, or names an invalid address,
 * is moved to {@code corrupt/maildrop-NAME} with a warning saying why; never deleted silently;
 * symbolic links and other non-regular entries are moved aside unread. A
 * temporary cleanup error leaves the file and retries after 10 s.
 */
package dev.postern.pickup;

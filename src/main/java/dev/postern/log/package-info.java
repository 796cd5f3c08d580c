/**
 * The Postfix-format mail log: text lines, syslog datagrams or JSON records, and its rotation.
 *
 * <h2>Description</h2>
 * {@link dev.postern.log.MailLog} is the only code that formats mail log records:
 * {@code connect from}, {@code disconnect from ... commands=N}, {@code QID: client=},
 * {@code QID: message-id=}, {@code QID: from=<>, size=, nrcpt=}, {@code QID: to=<>, relay=,
 * delay=, delays=a/b/c/d, dsn=, status=}, {@code QID: removed}, {@code NOQUEUE: reject: ...},
 * each prefixed {@code Mmm dd HH:MM:SS host postern/<service>[pid]:} with a space-padded day as
 * syslog writes it. The delay format follows Postfix's log_adhoc.c. Records are 3.7-style (no
 * {@code tls=} field) because pflogsumm's delivery regex does not expect one.
 * <p>
 * Where the log goes ({@code MailLog.open}), as Postfix 3.7: maillog_file when set
 * ({@code FileSink}, reopened on a rename: at once where its directory can be watched, else within a second); else the foreground's stdout when
 * there is one; else syslog ({@code SyslogSink}): one RFC 3164 datagram per record,
 * {@code <PRI>Mmm dd HH:MM:SS name/service[pid]: text}, to the AF_UNIX datagram socket
 * postern_syslog_socket (/dev/log), sent with Netty's native epoll transport because Java 17 has
 * no AF_UNIX datagram sockets. With postern_maillog_format = json each record is one JSON object
 * (the text line as {@code message}, its facts as fields). {@code MailLogRotation} is
 * {@code postern log rotate}: rename, await the reopen, compress.
 * <p>
 * Diagnostics (warnings from Postern and its libraries, not mail log records) go through SLF4J to
 * Logback, configured in code by {@code DiagnosticsConfigurator} ({@code postern: LEVEL: Class:
 * message} on stderr, POSTERN_LOG_LEVEL), which Logback finds as a service; it stands aside for
 * {@code -Dlogback.configurationFile} or a logback-test.xml.
 *
 * <h2>Metrics</h2>
 * A log made with a {@code metrics.Metrics} (the daemon's, when postern_metrics_listen is set)
 * counts connect, disconnect, client=, message-id=, removed and delivery records as it formats
 * them, so each logged event counts exactly once and the stages need no hooks of their own.
 *
 * <h2>Parameters</h2>
 * maillog_file, maillog_file_rotate_suffix, maillog_file_compressor, syslog_name,
 * syslog_facility, postern_maillog_format, postern_syslog_socket, myhostname.
 *
 * <h2>Threading</h2>
 * The daemon's log ({@code MailLog.async}, {@code MailLog.open}) is written by one thread of its
 * own: callers, Netty event loops included, only put the line in a bounded queue; the writer
 * writes what has queued up in one buffered write (or one datagram per record) and flushes once
 * per batch, then rests 50 ms before looking again: a line after a quiet spell reaches the file
 * or syslog within milliseconds, and under load the writer wakes up ~20 times a second instead of
 * once per line (issue 12: 4 wake-ups per message at one message per connection). If the disk
 * cannot keep up and the queue fills, lines are dropped instead of stalling mail flow, and the
 * next batch logs how many ({@code warning: mail log: N lines dropped ...}). One-shot commands
 * and tests write synchronously.
 *
 * <h2>Diagnostics</h2>
 * A failing log write is reported on stderr and never stops mail flow. A syslog send that fails
 * (syslogd restarted) reconnects and resends once, as syslog(3) does. Without a syslog socket the
 * log goes to stderr, with a warning there.
 */
package dev.postern.log;

/**
 * The Postfix-format mail log.
 *
 * <h2>Description</h2>
 * {@link dev.postern.log.MailLog} is the only code that formats mail log records:
 * {@code connect from}, {@code disconnect from ... commands=N}, {@code QID: client=},
 * {@code QID: message-id=}, {@code QID: from=<>, size=, nrcpt=}, {@code QID: to=<>, relay=,
 * delay=, delays=a/b/c/d, dsn=, status=}, {@code QID: removed}, {@code NOQUEUE: reject: ...},
 * each prefixed {@code Mmm dd HH:MM:SS host postern/<service>[pid]:} with a space-padded day as
 * syslog writes it. The delay format follows Postfix's log_adhoc.c. Records are 3.7-style (no
 * {@code tls=} field) because pflogsumm's delivery regex does not expect one.
 *
 * <h2>Parameters</h2>
 * maillog_file (empty: stdout of start-fg), syslog_name, myhostname.
 *
 * <h2>Diagnostics</h2>
 * A failing log write is reported on stderr and never stops mail flow.
 */
package dev.postern.log;

package dev.postern.smtpd;

import dev.postern.cleanup.Cleanup;
import dev.postern.log.MailLog;
import dev.postern.tls.TlsServer;

import java.util.concurrent.Executor;

/** What every session of one listener shares. {@code tls} is null when TLS is off. */
record SessionServices(SmtpdSettings settings, Restrictions restrictions, TlsServer tls, Cleanup cleanup,
                       MailLog log, ConnectionLimiter limiter, Executor blockingExecutor) {
}

package dev.postern.smtpd;

import dev.postern.log.MailLog;
import io.netty.channel.Channel;

import java.util.concurrent.TimeUnit;

/**
 * What a listener does when accept() fails, typically EMFILE/ENFILE (out of descriptors): stop
 * accepting for a second, then try again, and say so at most once a minute in Postfix's words
 * ({@code warning: accept connection: Too many open files}) with the count of failures in
 * between. Never a stack trace: the cause is the operator's limit, not a bug. Connections that
 * arrive meanwhile wait in the listen backlog, as they would behind Postfix's process limit.
 */
final class AcceptErrors {
    private static final long BACKOFF_MILLIS = 1_000;
    private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final MailLog log;
    private long lastWarning = System.nanoTime() - WARN_INTERVAL_NANOS;
    private int suppressed;

    AcceptErrors(MailLog log) {
        this.log = log;
    }

    /** Called on the acceptor's event loop. */
    void failed(Channel server, Throwable cause, SessionLimit limit) {
        long now = System.nanoTime();
        if (now - lastWarning >= WARN_INTERVAL_NANOS) {
            String more = suppressed == 0 ? "" : " (" + suppressed + " more since the last warning)";
            log.warning("master", "accept connection: " + describe(cause) + more
                    + "; pausing new connections for 1s: raise the open file limit (ulimit -n, LimitNOFILE= in systemd)"
                    + " or lower the smtpd process limits (master.cf maxproc, default_process_limit)");
            lastWarning = now;
            suppressed = 0;
        } else {
            suppressed++;
        }
        server.config().setAutoRead(false);
        server.eventLoop().schedule(() -> {
            if (server.isOpen()) {
                limit.resume(server);
            }
        }, BACKOFF_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The system's words for the error (strerror), without Java class names. */
    static String describe(Throwable cause) {
        String m = cause.getMessage();
        if (m == null || m.isBlank()) {
            return "unexpected error";
        }
        int colon = m.lastIndexOf(": ");
        return colon >= 0 && m.startsWith("accept") ? m.substring(colon + 2) : m;
    }
}

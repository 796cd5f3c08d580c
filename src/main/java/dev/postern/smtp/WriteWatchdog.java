package dev.postern.smtp;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * smtp_data_xfer_timeout for blocking writes: a write to a socket whose peer stopped reading blocks
 * with no timeout of its own (SO_TIMEOUT bounds reads only), and would hold a delivery worker for
 * good. Each {@link SmtpConnection} stamps the start of a write; one daemon thread looks every
 * {@link #PERIOD_MILLIS} ms and closes the socket of a write that has made no progress for longer
 * than its limit, which ends the write with an exception. A write slice costs two
 * compare-and-sets, not a timer each; the limit is kept to within a period.
 */
final class WriteWatchdog {
    static final long PERIOD_MILLIS = 250;

    private static final Set<SmtpConnection> WATCHED = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService SWEEPER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-write-watchdog");
        t.setDaemon(true);
        return t;
    });

    static {
        SWEEPER.scheduleAtFixedRate(WriteWatchdog::sweep, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private WriteWatchdog() {}

    static void watch(SmtpConnection c) {
        WATCHED.add(c);
    }

    static void forget(SmtpConnection c) {
        WATCHED.remove(c);
    }

    private static void sweep() {
        long now = System.nanoTime();
        for (SmtpConnection c : WATCHED) {
            try {
                c.expireStalledWrite(now);
            } catch (Throwable e) {
                // one connection's trouble must not end the sweeps (an exception cancels the task)
            }
        }
    }
}

package dev.postern.smtp;

import dev.postern.util.DemandTimer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * smtp_data_xfer_timeout for blocking writes: a write to a socket whose peer stopped reading blocks
 * with no timeout of its own (SO_TIMEOUT bounds reads only), and would hold a delivery worker for
 * good. Each {@link SmtpConnection} stamps the start of a write; one daemon thread looks every
 * {@link #PERIOD_MILLIS} ms and closes the socket of a write that has made no progress for longer
 * than its limit, which ends the write with an exception. A write slice costs two
 * compare-and-sets, not a timer each; the limit is kept to within a period. The sweeps run only
 * while a connection is watched: an idle daemon is not woken four times a second.
 */
final class WriteWatchdog {
    static final long PERIOD_MILLIS = 250;

    private static final Set<SmtpConnection> WATCHED = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService SWEEPER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-write-watchdog");
        t.setDaemon(true);
        return t;
    });

    private static final DemandTimer TIMER = new DemandTimer(SWEEPER, java.time.Duration.ofMillis(PERIOD_MILLIS),
            WriteWatchdog::sweep);

    private WriteWatchdog() {}

    static void watch(SmtpConnection c) {
        WATCHED.add(c);
        TIMER.demand();
    }

    static void forget(SmtpConnection c) {
        WATCHED.remove(c);
    }

    /** Returns true while connections are watched. */
    private static boolean sweep() {
        long now = System.nanoTime();
        for (SmtpConnection c : WATCHED) {
            try {
                c.expireStalledWrite(now);
            } catch (Throwable e) {
                // one connection's trouble must not end the sweeps of the others
            }
        }
        return !WATCHED.isEmpty();
    }
}

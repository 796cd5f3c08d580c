package dev.postern.cleanup;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The queue file system's free bytes, as smtpd asks at every MAIL, without a statvfs() on the
 * event loop: the value is read again right after each commit (by the thread that completed it)
 * and, off the loop, when a caller finds it older than {@link #PERIOD_MILLIS} (the caller gets
 * the old value; the next one the new). Under mail it is at most a second and one message old, as
 * with a timer; an idle daemon makes no statvfs at all (a timer woke it every second for
 * nothing). After a quiet spell the first MAIL is judged on the value of the last mail: if the
 * disk filled meanwhile, that one message fails at DATA with a temporary error instead of at MAIL,
 * and nothing is lost. One shared daemon thread serves every instance.
 */
final class FreeSpace implements AutoCloseable {
    static final long PERIOD_MILLIS = 1000;
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "postern-statvfs");
        t.setDaemon(true);
        return t;
    });

    private final LongSupplier statvfs;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile long bytes;
    /** System.nanoTime() of the last read. */
    private volatile long readAt;
    private volatile boolean closed;

    FreeSpace(LongSupplier statvfs) {
        this.statvfs = statvfs;
        refresh();
    }

    /** The last value read: never blocks; asks for a new one when it is older than a period. */
    long bytes() {
        long b = bytes;
        if (System.nanoTime() - readAt > PERIOD_MILLIS * 1_000_000L) {
            refreshSoon();
        }
        return b;
    }

    /** Reads the file system now; call off the event loop only. */
    void refresh() {
        pending.set(false);
        bytes = statvfs.getAsLong();
        readAt = System.nanoTime();
    }

    /** Asks for a refresh on the timer thread (a burst of calls costs one statvfs, on no caller's time). */
    void refreshSoon() {
        if (!closed && pending.compareAndSet(false, true)) {
            try {
                TIMER.execute(() -> {
                    if (!closed) {
                        refresh();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pending.set(false);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
    }
}

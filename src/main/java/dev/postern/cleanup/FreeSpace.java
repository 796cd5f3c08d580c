package dev.postern.cleanup;

import java.lang.ref.WeakReference;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The queue file system's free bytes, as smtpd asks at every MAIL, without a statvfs() on the
 * event loop: the value is refreshed off the loop once a second ({@link #PERIOD_MILLIS}) and right
 * after each commit (by the thread that completed it), so it is at most a second and one message old. One shared
 * daemon thread serves every instance; an instance is held weakly, so a Cleanup dropped without
 * close (tests) stops being polled once it is collected.
 */
final class FreeSpace implements AutoCloseable {
    static final long PERIOD_MILLIS = 1000;
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "postern-statvfs");
        t.setDaemon(true);
        return t;
    });

    private final LongSupplier statvfs;
    private final ScheduledFuture<?> task;
    private final AtomicBoolean pending = new AtomicBoolean();
    private volatile long bytes;

    FreeSpace(LongSupplier statvfs) {
        this.statvfs = statvfs;
        this.bytes = statvfs.getAsLong();
        WeakReference<FreeSpace> self = new WeakReference<>(this);
        AtomicReference<ScheduledFuture<?>> me = new AtomicReference<>();
        me.set(TIMER.scheduleWithFixedDelay(() -> {
            FreeSpace f = self.get();
            if (f != null) {
                f.refresh();
            } else if (me.get() != null) {
                me.get().cancel(false); // collected without close()
            }
        }, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS));
        this.task = me.get();
    }

    /** The last value read: never blocks. */
    long bytes() {
        return bytes;
    }

    /** Reads the file system now; call off the event loop only. */
    void refresh() {
        pending.set(false);
        bytes = statvfs.getAsLong();
    }

    /** Asks for a refresh on the timer thread (a burst of commits costs one statvfs, on no caller's time). */
    void refreshSoon() {
        if (pending.compareAndSet(false, true)) {
            WeakReference<FreeSpace> self = new WeakReference<>(this);
            try {
                TIMER.execute(() -> {
                    FreeSpace f = self.get();
                    if (f != null) {
                        f.refresh();
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pending.set(false);
            }
        }
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}

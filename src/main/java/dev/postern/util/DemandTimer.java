package dev.postern.util;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A periodic task that runs only while it has work. A fixed-rate timer wakes its thread every
 * period for the daemon's whole life; on a personal mail server, idle nearly all the time, those
 * wake-ups were most of what it did (issue 12: 33 a second and 4.8 ms of CPU a second, where
 * Postfix sleeps). Here the owner calls {@link #demand()} when it creates work (a connection to
 * watch, a file to settle); the task then runs one period later and says whether work is left,
 * which keeps it running period by period until the work is gone.
 *
 * <p>No demand is lost: the flag is cleared before the task runs, so a demand made while it runs
 * schedules one more run, and the task's own "more work" schedules at most that same one run.
 */
public final class DemandTimer {
    private final ScheduledExecutorService executor;
    private final long periodNanos;
    private final BooleanSupplier task;
    private final AtomicBoolean armed = new AtomicBoolean();

    /**
     * {@code task} runs on {@code executor} (single-threaded: runs never overlap) one {@code period}
     * after a demand, and returns true when work is left for another run one period later.
     */
    public DemandTimer(ScheduledExecutorService executor, java.time.Duration period, BooleanSupplier task) {
        this.executor = executor;
        this.periodNanos = period.toNanos();
        this.task = task;
    }

    /** There is work: the task runs within a period (at once if a run is already due). */
    public void demand() {
        if (!armed.get() && armed.compareAndSet(false, true)) { // a plain read first: demands on a hot path stay cheap
            try {
                executor.schedule(this::run, periodNanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                armed.set(false); // shut down: the owner is closing
            }
        }
    }

    private void run() {
        armed.set(false); // before the task: work added while it runs demands a run of its own
        boolean more = true;
        try {
            more = task.getAsBoolean();
        } finally { // an exception keeps the task going, as a fixed-rate timer would have
            if (more) {
                demand();
            }
        }
    }
}

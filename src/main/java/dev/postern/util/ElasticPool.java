package dev.postern.util;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A bounded thread pool that grows only when every thread it has is busy, and shrinks back to one
 * thread when work stops.
 *
 * <p>Why not {@code Executors.newFixedThreadPool(n)}: a ThreadPoolExecutor starts a new core thread
 * for every task until it has n, however many of them sit idle, so a daemon that has handled a few
 * dozen tasks one at a time keeps n parked threads for good (each ~145 KiB of touched stack, and
 * NIO's cached direct buffer when it did file I/O). And not a cached pool either: that one has no
 * bound. Here a task goes to an idle thread when there is one, else to a new thread up to
 * {@code max}, else it waits in the queue for the next free thread; a thread beyond the first ends
 * after {@code keepAlive} without work. The first one stays, so a queued task always has a thread
 * to run it. The queue hands a task to the thread that has waited longest, so under steady load
 * every thread keeps getting work: the pool shrinks when the load falls, not while it lasts (a task
 * offered just before a finishing thread waits again also starts a thread, so it may stand a little
 * above the busiest moment's need, never above {@code max}).
 */
public final class ElasticPool {
    private ElasticPool() {
    }

    /** @param name every thread's name (daemon threads) */
    public static ExecutorService create(String name, int max, Duration keepAlive) {
        if (max < 1) {
            throw new IllegalArgumentException("max < 1: " + max);
        }
        HandOff queue = new HandOff();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, max, keepAlive.toNanos(), TimeUnit.NANOSECONDS, queue, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        }, (task, p) -> {
            // No idle thread and max threads already: the task waits for the next free one.
            if (p.isShutdown()) {
                throw new RejectedExecutionException(name + " is shut down");
            }
            queue.enqueue(task);
        });
        return pool;
    }

    /**
     * ThreadPoolExecutor starts a thread beyond the core only when the queue refuses a task, and
     * hands the task to the rejection handler when it cannot start one (max reached): this queue
     * takes a task only when an idle thread is waiting for it.
     */
    private static final class HandOff extends LinkedTransferQueue<Runnable> {
        @Override
        public boolean offer(Runnable task) {
            return tryTransfer(task);
        }

        void enqueue(Runnable task) {
            super.offer(task);
        }
    }
}

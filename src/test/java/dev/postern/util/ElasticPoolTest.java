package dev.postern.util;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElasticPoolTest {
    /** Waits for a condition (never a fixed sleep), failing after 10 s. */
    private static void await(java.util.function.BooleanSupplier c, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
            Thread.sleep(5);
        }
    }

    @Test
    void tasksOneAtATimeReuseOneThread() throws Exception {
        // A fixed pool of 8 would have started 8 threads for these 50 tasks.
        ExecutorService pool = ElasticPool.create("t", 8, Duration.ofMinutes(1));
        Set<Thread> ran = ConcurrentHashMap.newKeySet();
        try {
            for (int i = 0; i < 50; i++) {
                Future<?> f = pool.submit(() -> ran.add(Thread.currentThread()));
                f.get(10, TimeUnit.SECONDS);
                ThreadPoolExecutor p = (ThreadPoolExecutor) pool;
                // the worker that ran the task is back waiting for work before the next one goes in
                // (not merely done with it: a task offered before it waits again starts a thread)
                await(() -> ((LinkedTransferQueue<Runnable>) p.getQueue()).hasWaitingConsumer(), "the worker to wait for work");
            }
            assertEquals(1, ran.size(), "threads used");
            assertEquals(1, ((ThreadPoolExecutor) pool).getPoolSize());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Submits n tasks that each count their start, then wait for release. */
    private static List<Future<?>> waiting(ExecutorService pool, int n, CountDownLatch release, AtomicInteger started) {
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(pool.submit(() -> {
                started.incrementAndGet();
                release.await();
                return null;
            }));
        }
        return all;
    }

    private static void finish(CountDownLatch release, List<Future<?>> tasks) throws Exception {
        release.countDown();
        for (Future<?> f : tasks) {
            f.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void growsToMaxWhileBusyQueuesTheRestThenShrinksToOne() throws Exception {
        ExecutorService pool = ElasticPool.create("t", 3, Duration.ofMillis(50));
        ThreadPoolExecutor p = (ThreadPoolExecutor) pool;
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        try {
            List<Future<?>> all = waiting(pool, 10, release, started);
            await(() -> started.get() == 3, "three tasks to start");
            assertEquals(3, p.getPoolSize(), "threads: at most max");
            assertEquals(7, p.getQueue().size(), "the rest wait");
            finish(release, all);
            assertEquals(10, started.get(), "every task ran");
            assertEquals(3, p.getLargestPoolSize());
            await(() -> p.getPoolSize() == 1, "idle threads to end");
            // and the one left still runs work
            assertEquals("ok", pool.submit(() -> "ok").get(10, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refusesWorkOnceShutDownButFinishesWhatWasQueued() throws Exception {
        ExecutorService pool = ElasticPool.create("t", 1, Duration.ofMinutes(1));
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        pool.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            done.incrementAndGet();
        });
        pool.execute(done::incrementAndGet); // queued behind the first: max is 1
        pool.shutdown();
        assertThrows(RejectedExecutionException.class, () -> pool.execute(done::incrementAndGet));
        release.countDown();
        assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(2, done.get());
    }
}

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
                await(() -> p.getActiveCount() == 0, "the worker to be idle");
            }
            assertEquals(1, ran.size(), "threads used");
            assertEquals(1, ((ThreadPoolExecutor) pool).getPoolSize());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void growsToMaxWhileBusyThenQueuesAndRunsEverything() throws Exception {
        ExecutorService pool = ElasticPool.create("t", 3, Duration.ofMinutes(1));
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        List<Future<?>> all = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                all.add(pool.submit(() -> {
                    started.incrementAndGet();
                    release.await();
                    return done.incrementAndGet();
                }));
            }
            await(() -> started.get() == 3, "three tasks to start");
            assertEquals(3, ((ThreadPoolExecutor) pool).getPoolSize(), "threads: at most max");
            assertEquals(7, ((ThreadPoolExecutor) pool).getQueue().size(), "the rest wait");
            release.countDown();
            for (Future<?> f : all) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertEquals(10, done.get());
            assertEquals(3, ((ThreadPoolExecutor) pool).getLargestPoolSize());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void idleThreadsEndAfterKeepAliveButOneStays() throws Exception {
        ExecutorService pool = ElasticPool.create("t", 4, Duration.ofMillis(50));
        ThreadPoolExecutor p = (ThreadPoolExecutor) pool;
        CountDownLatch release = new CountDownLatch(1);
        try {
            List<Future<?>> four = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                four.add(pool.submit(() -> {
                    release.await();
                    return null;
                }));
            }
            await(() -> p.getActiveCount() == 4, "four busy threads");
            release.countDown();
            for (Future<?> f : four) {
                f.get(10, TimeUnit.SECONDS);
            }
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

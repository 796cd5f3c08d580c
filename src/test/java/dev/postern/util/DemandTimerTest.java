package dev.postern.util;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A periodic task that runs while it has work and never while it has none. */
class DemandTimerTest {
    private static final Duration PERIOD = Duration.ofMillis(20);
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        executor.shutdownNow();
    }

    @Test
    void runsWhileWorkIsLeftThenStops() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger work = new AtomicInteger(3);
        CountDownLatch done = new CountDownLatch(1);
        DemandTimer t = new DemandTimer(executor, PERIOD, () -> {
            runs.incrementAndGet();
            boolean left = work.decrementAndGet() > 0;
            if (!left) {
                done.countDown();
            }
            return left;
        });
        Thread.sleep(5 * PERIOD.toMillis()); // proving nothing happens takes waiting
        assertEquals(0, runs.get(), "no demand, no run");
        t.demand();
        t.demand(); // a second demand while armed adds no run
        assertTrue(done.await(5, TimeUnit.SECONDS));
        Thread.sleep(5 * PERIOD.toMillis());
        assertEquals(3, runs.get(), "one run per period while work was left, none after");
    }

    @Test
    void aDemandWhileTheTaskRunsIsNotLost() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch inFirstRun = new CountDownLatch(1);
        CountDownLatch demanded = new CountDownLatch(1);
        CountDownLatch second = new CountDownLatch(1);
        DemandTimer[] t = new DemandTimer[1];
        t[0] = new DemandTimer(executor, PERIOD, () -> {
            if (runs.incrementAndGet() == 1) {
                inFirstRun.countDown();
                try {
                    demanded.await(); // work arrives while this run has already looked
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                second.countDown();
            }
            return false; // this run saw no work left
        });
        t[0].demand();
        assertTrue(inFirstRun.await(5, TimeUnit.SECONDS));
        t[0].demand();
        demanded.countDown();
        assertTrue(second.await(5, TimeUnit.SECONDS), "the demand made during the run got a run of its own");
    }

    @Test
    void anExceptionKeepsTheTaskGoing() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch again = new CountDownLatch(1);
        DemandTimer t = new DemandTimer(executor, PERIOD, () -> {
            if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("one bad round");
            }
            again.countDown();
            return false;
        });
        t.demand();
        assertTrue(again.await(5, TimeUnit.SECONDS), "run again after a failed run, as a fixed-rate timer would");
    }
}

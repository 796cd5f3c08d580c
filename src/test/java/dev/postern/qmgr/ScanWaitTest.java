package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.queue.DeferredFiller;
import dev.postern.queue.Spool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How long the scanner sleeps when it has nothing to do. A deferred walk that stopped because the
 * active queue is full waits for a message to leave (roomMade), however long the walk has taken:
 * when it outlived queue_run_delay, the time "until the next deferred scan" is negative, and the
 * scanner once woke every 10 ms for it until a slot freed (a busy loop for as long as a slow
 * destination held the active queue).
 */
class ScanWaitTest {
    @TempDir
    Path dir;

    private static final int ACTIVE_LIMIT = 4;

    @Test
    void aDeferredWalkStoppedForRoomDoesNotSpinOnceQueueRunDelayHasPassed() throws Exception {
        Path queue = dir.resolve("queue");
        Instant start = Instant.now();
        DeferredFiller.fill(queue, 20, start.minusSeconds(60), "alice@sender.example", "bob@slow.example");
        QmgrSettings settings = new QmgrSettings(Duration.ofSeconds(1), Duration.ofSeconds(300), Duration.ofSeconds(4000),
                Duration.ofDays(5), Duration.ofDays(5), Duration.ZERO, 20, java.util.Map.of(), 100, ACTIVE_LIMIT);
        MutableClock clock = new MutableClock(start);
        AtomicInteger active = new AtomicInteger();
        AtomicInteger taken = new AtomicInteger();
        try (Spool spool = Spool.open(queue)) {
            QueueScanner scanner = new QueueScanner(spool, () -> settings, clock, new MailLog(new ByteArrayOutputStream(), "h", "postern"),
                    active::get, f -> {
                        try {
                            spool.activate(f);
                            taken.incrementAndGet();
                            active.incrementAndGet(); // and nothing leaves: the destination is slow
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }, () -> { });
            scanner.start();
            try {
                await(() -> active.get() == ACTIVE_LIMIT && scanner.waits() > 0, "the active queue filled and the scanner slept");
                long waits = scanner.waits();

                clock.advance(Duration.ofSeconds(5)); // the walk has now outlived queue_run_delay (1 s)
                scanner.wake(); // new mail's wake, with incoming/ empty: nothing to take, no room anyway
                await(() -> scanner.waits() > waits, "the scanner slept again after the wake");

                assertEquals(ACTIVE_LIMIT, active.get(), "no room: nothing more was activated");
                assertEquals(QueueScanner.SAFETY_NET_MILLIS, scanner.lastWaitMillis(),
                        "a walk stopped for room waits for a message to leave (roomMade), not for a scan already due");

                // and that wait ends when a message leaves: the walk goes on where it stopped
                long activated = taken.get();
                active.decrementAndGet();
                scanner.roomMade();
                await(() -> taken.get() == activated + 1 && active.get() == ACTIVE_LIMIT, "the freed slot was filled");
            } finally {
                scanner.stop();
            }
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "not within 20 s: " + what);
            Thread.sleep(5);
        }
    }
}

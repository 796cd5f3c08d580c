package dev.postern.cleanup;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The free-space value smtpd reads at MAIL: never a system call on the caller's thread (the value
 * is the last one read), refreshed on FreeSpace's own thread after a commit asks and when a read
 * finds it a second old, never while nobody reads it, and no more once closed.
 */
class FreeSpaceTest {
    @Test
    void readsOffTheCallersThreadAfterACommitAndWhenStale() throws Exception {
        AtomicLong disk = new AtomicLong(1000);
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<String> where = new AtomicReference<>();
        FreeSpace f = new FreeSpace(() -> {
            calls.incrementAndGet();
            where.set(Thread.currentThread().getName());
            return disk.get();
        });
        assertEquals(1000, f.bytes());
        int afterOpen = calls.get();
        disk.set(500);
        assertEquals(1000, f.bytes(), "bytes() only reads the cached value");
        assertEquals(afterOpen, calls.get(), "no statvfs on the caller's thread");

        f.refreshSoon(); // what a commit does
        await(() -> f.bytes() == 500, 900, "refreshed soon after a commit, before the periodic round");
        assertEquals("postern-statvfs", where.get());

        int before = calls.get();
        disk.set(200);
        Thread.sleep(2 * FreeSpace.PERIOD_MILLIS + 200); // proving that nothing happens takes waiting out two periods
        assertEquals(before, calls.get(), "no statvfs while nobody asks (an idle daemon is not woken)");
        assertEquals(500, f.bytes(), "the stale value, once: this read asks for a new one");
        await(() -> f.bytes() == 200, 3000, "refreshed after a read found it stale");
        assertEquals("postern-statvfs", where.get());

        f.close();
        int closedAt = calls.get();
        disk.set(100);
        Thread.sleep(FreeSpace.PERIOD_MILLIS + 200);
        assertEquals(200, f.bytes(), "a stale read after close asks for nothing");
        Thread.sleep(200);
        assertEquals(closedAt, calls.get(), "no refresh after close");
        assertEquals(200, f.bytes());
    }

    private static void await(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }
}

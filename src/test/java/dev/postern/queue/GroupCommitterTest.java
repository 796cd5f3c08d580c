package dev.postern.queue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The promise behind a 250: a commit completes only after the directory fsync that covers its
 * rename (a kill -9 test cannot see a missing fsync, so this watches the order directly).
 */
class GroupCommitterTest {
    @TempDir
    Path dir;

    @Test
    void noCommitCompletesBeforeTheDirectorySyncThatCoversIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger syncs = new AtomicInteger();
        GroupCommitter c = new GroupCommitter(dir, d -> {
            assertEquals(dir, d);
            try {
                release.await(10, TimeUnit.SECONDS); // the "disk" is slow
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            syncs.incrementAndGet();
        });
        try {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Path temp = Files.writeString(dir.resolve(".tmp-" + i), "m" + i);
                done.add(c.rename(temp, dir.resolve("M" + i)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.exists(dir.resolve("M0")) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(Files.exists(dir.resolve("M0")), "renamed already");
            assertTrue(done.stream().noneMatch(CompletableFuture::isDone), "but not acknowledged before the directory fsync");
            release.countDown();
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertTrue(syncs.get() >= 1 && syncs.get() < 20, "commits shared directory fsyncs: " + syncs.get());
        } finally {
            release.countDown();
            c.close();
        }
    }

    @Test
    void aFailedDirectorySyncFailsTheCommitsItCovered() throws Exception {
        GroupCommitter c = new GroupCommitter(dir, d -> {
            throw new IOException("EIO");
        });
        try {
            Path temp = Files.writeString(dir.resolve(".tmp-x"), "x");
            CompletableFuture<Void> f = c.rename(temp, dir.resolve("X"));
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IOException.class, e.getCause());
            assertTrue(f.isCompletedExceptionally(), "the client is told to retry (451), never 250");
        } finally {
            c.close();
        }
    }
}

package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.queue.DeferredFiller;
import dev.postern.queue.Spool;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scanner takes incoming/ and deferred/ in turn (Postfix's qmgr_loop), on real queue files:
 * with the active queue limited and incoming/ never empty, a due deferred backlog still gets
 * about half of the slots, and the reverse.
 */
class ScanFairnessTest {
    @TempDir
    Path dir;

    private static final int ACTIVE_LIMIT = 4;
    private static final int TAKEN = 200;

    @Test
    void aSteadyIncomingFlowDoesNotStarveDueDeferredMail() throws Exception {
        List<String> taken = run(300, 1000);
        long deferred = taken.stream().filter("deferred"::equals).count();
        assertTrue(deferred >= TAKEN * 0.4, "deferred mail got " + deferred + " of the first " + TAKEN + " activations: " + taken);
    }

    @Test
    void aDueDeferredBacklogDoesNotStarveIncomingMail() throws Exception {
        List<String> taken = run(1000, 300);
        long incoming = taken.stream().filter("incoming"::equals).count();
        assertTrue(incoming >= TAKEN * 0.4, "incoming mail got " + incoming + " of the first " + TAKEN + " activations: " + taken);
    }

    /**
     * {@code incomingCount} files in incoming/ (fed a few at a time, as new mail keeps arriving)
     * and {@code deferredCount} due files in deferred/; the active queue holds {@link #ACTIVE_LIMIT};
     * a "delivery" thread removes one active message at a time. Returns the source queue of the
     * first {@link #TAKEN} activations.
     */
    private List<String> run(int incomingCount, int deferredCount) throws Exception {
        Path queue = dir.resolve("queue");
        Path staging = dir.resolve("staging");
        DeferredFiller.fill(queue, deferredCount, Instant.now().minusSeconds(60), "alice@sender.example", "bob@deferred.example");
        DeferredFiller.fill(staging, incomingCount, Instant.now(), "alice@sender.example", "carol@incoming.example");
        List<Path> fresh;
        try (Stream<Path> s = Files.list(staging.resolve("deferred"))) {
            fresh = new ArrayList<>(s.sorted().toList());
        }
        QmgrSettings settings = new QmgrSettings(Duration.ofSeconds(1), Duration.ofSeconds(300), Duration.ofSeconds(4000),
                Duration.ofDays(5), Duration.ofDays(5), Duration.ZERO, 20, java.util.Map.of(), 100, ACTIVE_LIMIT);
        List<String> taken = new CopyOnWriteArrayList<>();
        AtomicInteger active = new AtomicInteger();
        BlockingQueue<Path> activeFiles = new ArrayBlockingQueue<>(ACTIVE_LIMIT * 2);
        try (Spool spool = Spool.open(queue)) {
            Path incoming = queue.resolve("incoming");
            QueueScanner[] scanner = new QueueScanner[1];
            scanner[0] = new QueueScanner(spool, settings, Clock.systemUTC(), new MailLog(new ByteArrayOutputStream(), "h", "postern"),
                    active::get, f -> {
                        String from = f.getParent().getFileName().toString();
                        try {
                            Path a = spool.activate(f);
                            taken.add(from);
                            active.incrementAndGet();
                            activeFiles.add(a);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }, () -> { });
            // New mail keeps arriving: incoming/ is topped up to 20 files before the scanner starts and after each removal.
            int[] next = {0};
            Runnable topUp = () -> {
                try {
                    long waiting;
                    try (Stream<Path> s = Files.list(incoming)) {
                        waiting = s.count();
                    }
                    for (; waiting < 20 && next[0] < fresh.size(); waiting++) {
                        Path f = fresh.get(next[0]++);
                        Files.move(f, incoming.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            topUp.run();
            scanner[0].start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (taken.size() < TAKEN) {
                    assertTrue(System.nanoTime() < deadline, "only " + taken.size() + " activations in 30 s");
                    Path done = activeFiles.poll(100, TimeUnit.MILLISECONDS);
                    if (done == null) {
                        continue;
                    }
                    Files.delete(done); // "delivered"
                    topUp.run();
                    active.decrementAndGet();
                    scanner[0].roomMade();
                    scanner[0].wake(); // as cleanup's commit does
                }
            } finally {
                scanner[0].stop();
            }
        }
        return taken.subList(0, TAKEN);
    }
}

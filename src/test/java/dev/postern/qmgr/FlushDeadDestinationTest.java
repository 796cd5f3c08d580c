package dev.postern.qmgr;

import dev.postern.mail.DeliveryAgent;
import dev.postern.queue.DeferredFiller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.postern.qmgr.QueueManagerTest.all;
import static dev.postern.qmgr.QueueManagerTest.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * §8(b)'s scenario on real queue files: a flush takes 500 deferred messages for a destination
 * that is still dead and 200 for one that came back. The live mail is delivered; the dead one is
 * tried by at most its concurrency limit of deliveries before it is marked down again, and the
 * rest of its mail goes back to deferred/ untried ("delivery temporarily suspended", service
 * retry), every file accounted for.
 */
class FlushDeadDestinationTest {
    @TempDir
    Path dir;

    @Test
    void aFlushDeliversTheLiveMailAndSendsTheDeadDestinationsBackUntried() throws Exception {
        Path queue = dir.resolve("queue");
        Instant later = Instant.now().plus(Duration.ofDays(1));
        DeferredFiller.fill(queue, 500, later, "alice@sender.example", "bob@dead.example");
        DeferredFiller.fill(queue, 200, later, "alice@sender.example", "carol@live.example");
        AtomicInteger deadAttempts = new AtomicInteger();
        AtomicInteger liveSent = new AtomicInteger();
        DeliveryAgent agent = q -> {
            if (q.nexthop().equals("dead.example")) {
                deadAttempts.incrementAndGet();
                return all(q, r -> QueueManagerTest.refused(r, "dead.example"));
            }
            liveSent.incrementAndGet();
            return all(q, QueueManagerTest::sent);
        };
        try (QmgrHarness h = new QmgrHarness(dir, "queue_run_delay = 1h\n", Map.of("smtp", agent), Clock.systemUTC())) {
            h.qmgr.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!(liveSent.get() == 200 && h.files("deferred") == 500 && h.qmgr.activeCount() == 0)) {
                assertTrue(System.nanoTime() < deadline, "flush not done: " + liveSent.get() + " live sent, "
                        + h.files("deferred") + " deferred, " + h.qmgr.activeCount() + " active");
                Thread.sleep(20);
            }
            int tried = deadAttempts.get();
            assertTrue(tried >= 1 && tried <= 20, "the dead destination was tried " + tried
                    + " times (at most its concurrency limit, 20), not once per message");
            awaitSuspended(h, 500 - tried);
            assertEquals(0, h.files("incoming") + h.files("active") + h.files("corrupt"), "every file accounted for");
        }
    }

    private static void awaitSuspended(QmgrHarness h, int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (count(h.log(), "status=deferred (delivery temporarily suspended: ") < n) {
            assertTrue(System.nanoTime() < deadline, "suspended deferrals logged: "
                    + count(h.log(), "status=deferred (delivery temporarily suspended: ") + " of " + n);
            Thread.sleep(20);
        }
        assertTrue(h.log().contains("postern/retry["), "logged by service retry");
    }
}

package dev.postern.qmgr;

import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.RecipientResult;
import dev.postern.queue.DeferredFiller;
import dev.postern.queue.QueueControl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.postern.qmgr.QueueManagerTest.all;
import static dev.postern.qmgr.QueueManagerTest.awaitTrue;
import static dev.postern.qmgr.QueueManagerTest.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A big deferred queue does not hold up fresh mail; the delay notice flag and flush work across restarts and dead marks. */
class QueueScaleTest {
    @TempDir
    Path dir;

    private static final String BODY = "Subject: scale test\r\n\r\nbody\r\n";

    @Test
    void freshMailFlowsWhileTwentyThousandDeferredFilesAreScanned() throws Exception {
        Path queue = dir.resolve("queue");
        DeferredFiller.fill(queue, 20_000, Instant.now().plus(Duration.ofDays(1)), "alice@sender.example", "bob@later.example");
        DeferredFiller.fill(queue, 50, Instant.now().minusSeconds(1), "alice@sender.example", "carol@due.example");
        List<DeliveryRequest> delivered = new CopyOnWriteArrayList<>();
        DeliveryAgent agent = q -> {
            delivered.add(q);
            return all(q, QueueManagerTest::sent);
        };
        try (QmgrHarness h = new QmgrHarness(dir, "queue_run_delay = 1s\n", Map.of("smtp", agent), Clock.systemUTC())) {
            long t0 = System.nanoTime();
            String fresh = h.submit("alice@sender.example", BODY, "dave@fresh.example");
            h.awaitLog(fresh + ": to=<dave@fresh\\.example>.*status=sent", Duration.ofSeconds(10));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 3000, "fresh mail took " + ms + " ms while deferred/ was scanned");
            // The walk went through the whole directory: every due file was found (they are spread over it).
            awaitTrue(() -> count(h.log(), "to=<carol@due.example>") == 50, "the 50 due messages delivered");
            assertEquals(20_000, h.files("deferred"), "mail not due stays where it is");
            awaitTrue(() -> h.qmgr.activeCount() == 0, "active queue empty");
            assertTrue(delivered.stream().noneMatch(q -> q.recipients().get(0).toString().endsWith("@later.example")),
                    "nothing not yet due was taken");
        }
    }

    @Test
    void aRestartNeverSendsASecondDelayNotice() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        QueueManagerTest.Recorder senderSide = new QueueManagerTest.Recorder();
        DeliveryAgent down = q -> all(q, r -> QueueManagerTest.refused(r, "hop"));
        String main = "relayhost = [192.0.2.1]:25\nrelay_domains = sender.example\nrelay_transport = relay:[192.0.2.2]:25\n"
                + "delay_warning_time = 1h\nqueue_run_delay = 1s\nmaximal_backoff_time = 1h\n";
        String qid;
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", down, "relay", senderSide), clock)) {
            qid = h.submit("alice@sender.example", BODY, "bob@remote.example");
            awaitTrue(() -> h.files("deferred") == 1, "deferred");
            clock.advance(Duration.ofMinutes(90));
            h.awaitLog(qid + ": sender delay notification: [0-9A-F]+", Duration.ofSeconds(10));
            awaitTrue(() -> count(h.log(), qid + ": to=<bob@remote.example>") == 2 && h.files("deferred") == 1, "deferred again");
        }
        assertEquals(1, senderSide.requests.size(), "one notice before the restart");
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", down, "relay", senderSide), clock)) {
            clock.advance(Duration.ofMinutes(90));
            awaitTrue(() -> count(h.log(), qid + ": to=<bob@remote.example>") == 1 && h.files("deferred") == 1,
                    "retried after the restart");
            assertEquals(0, count(h.log(), "sender delay notification"), "no second notice after a restart:\n" + h.log());
            assertEquals(1, senderSide.requests.size());
        }
    }

    @Test
    void queueFlushForgetsDeadDestinations() throws Exception {
        AtomicBoolean up = new AtomicBoolean(false);
        DeliveryAgent agent = q -> all(q, r -> up.get() ? QueueManagerTest.sent(r) : QueueManagerTest.refused(r, "down.example"));
        String main = "minimal_backoff_time = 1h\nmaximal_backoff_time = 2h\n";
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", agent), Clock.systemUTC())) {
            h.spool.watchTriggers(h.qmgr::wake, h.qmgr::flush, h.qmgr::reviveDestinations); // as the server wires it
            QueueControl control = QueueControl.open(dir.resolve("queue"));
            for (String how : List.of("flush", "flush -s")) {
                up.set(false);
                String first = h.submit("alice@sender.example", BODY, "a@down.example");
                h.awaitLog("destination smtp:down\\.example marked down", Duration.ofSeconds(10));
                String second = h.submit("alice@sender.example", BODY, "b@down.example");
                h.awaitLog(second + ": to=<b@down\\.example>.*delivery temporarily suspended", Duration.ofSeconds(10));
                // The log line comes before the rename into deferred/: a flush acts on what is in
                // deferred/ when it runs (as Postfix's), so wait for both files to be there.
                awaitTrue(() -> h.files("deferred") == 2, how + ": both deferred");
                up.set(true);
                if (how.equals("flush")) {
                    control.flush();
                } else {
                    control.flush("down.example");
                }
                for (String id : List.of(first, second)) {
                    h.awaitLog(id + ": to=<[ab]@down\\.example>.*status=sent", Duration.ofSeconds(10));
                }
                awaitTrue(() -> h.files("deferred") == 0, how + ": nothing left deferred");
                h.logBytes.reset();
            }
        }
    }
}

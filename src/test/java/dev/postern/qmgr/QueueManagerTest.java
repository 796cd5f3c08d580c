package dev.postern.qmgr;

import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scheduler and the three ways out of the active queue, on a real spool with agents the test controls. */
class QueueManagerTest {
    @TempDir
    Path dir;

    private static final String BODY = "Subject: qmgr test\r\n\r\nbody line\r\n";

    static RecipientResult sent(MailAddress r) {
        return new RecipientResult.Sent(r, "hop[192.0.2.1]:25", "2.0.0", "250 2.0.0 Ok", Duration.ZERO, Duration.ZERO);
    }

    static RecipientResult refused(MailAddress r, String host) {
        return new RecipientResult.Deferred(r, "none", "4.4.1", "connect to " + host + "[192.0.2.9]:25: Connection refused",
                Duration.ZERO, Duration.ZERO);
    }

    static List<RecipientResult> all(DeliveryRequest q, java.util.function.Function<MailAddress, RecipientResult> f) {
        return q.recipients().stream().map(f).toList();
    }

    /** Records every request (with its content read at delivery time) and sends. */
    static class Recorder implements DeliveryAgent {
        final List<DeliveryRequest> requests = new CopyOnWriteArrayList<>();
        final List<String> contents = new CopyOnWriteArrayList<>();

        @Override
        public List<RecipientResult> deliver(DeliveryRequest q) {
            try (InputStream in = q.content().open()) {
                contents.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            requests.add(q); // after its content: a test that saw the request may read contents
            return all(q, QueueManagerTest::sent);
        }

        DeliveryRequest await(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (requests.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertFalse(requests.isEmpty(), "no delivery request arrived");
            return requests.get(0);
        }
    }

    @Test
    void anExceptionFromTheAgentIsADeferralNotAStuckFile() throws Exception {
        DeliveryAgent boom = q -> {
            throw new IllegalStateException("boom");
        };
        try (QmgrHarness h = new QmgrHarness(dir, "relayhost = [192.0.2.1]:25\n", Map.of("smtp", boom), Clock.systemUTC())) {
            String qid = h.submit("alice@sender.example", BODY, "bob@remote.example");
            h.awaitLog(qid + ": to=<bob@remote\\.example>, relay=none, .*dsn=4\\.3\\.0, status=deferred "
                    + "\\(unknown mail transport error: java\\.lang\\.IllegalStateException: boom\\)", Duration.ofSeconds(10));
            h.awaitLog("warning: " + qid + ": transport smtp failed: java\\.lang\\.IllegalStateException: boom", Duration.ofSeconds(5));
            awaitTrue(() -> h.files("deferred") == 1 && h.files("active") == 0, "in deferred/, not active/");
        }
    }

    @Test
    void expiredMailIsReturnedToTheSenderWithTheLastReason() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        Recorder senderSide = new Recorder();
        DeliveryAgent down = q -> all(q, r -> refused(r, "hop"));
        String main = "relayhost = [192.0.2.1]:25\nrelay_domains = sender.example\nrelay_transport = relay:[192.0.2.2]:25\n"
                + "maximal_queue_lifetime = 1h\nqueue_run_delay = 1s\n";
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", down, "relay", senderSide), clock)) {
            String qid = h.submit("alice@sender.example", BODY, "bob@remote.example");
            h.awaitLog(qid + ": to=<bob@remote\\.example>.*status=deferred", Duration.ofSeconds(10));
            awaitTrue(() -> h.files("deferred") == 1, "deferred");
            clock.advance(Duration.ofMinutes(61));
            String log = h.awaitLog(qid + ": from=<alice@sender\\.example>, status=expired, returned to sender", Duration.ofSeconds(10));
            assertEquals(2, count(log, qid + ": to=<bob@remote.example>"), "one last attempt when due, then returned");
            DeliveryRequest bounce = senderSide.await(Duration.ofSeconds(10));
            assertTrue(bounce.sender().isNull(), "a bounce has the null sender");
            assertEquals(List.of(MailAddress.parse("alice@sender.example")), bounce.recipients());
            String dsn = senderSide.contents.get(0);
            assertTrue(dsn.contains("Final-Recipient: rfc822; bob@remote.example\r\n"
                    + "Original-Recipient: rfc822; bob@remote.example\r\nAction: failed\r\nStatus: 4.4.1\r\n"), dsn);
            assertTrue(dsn.contains("X-Postfix; connect to hop[192.0.2.9]:25: Connection refused"), dsn);
            h.awaitLog("postern/bounce\\[\\d+\\]: " + qid + ": sender non-delivery notification: [0-9A-F]+", Duration.ofSeconds(5));
            h.awaitLog(qid + ": removed", Duration.ofSeconds(5));
        }
    }

    @Test
    void oneDelayNoticeAfterDelayWarningTime() throws Exception {
        MutableClock clock = new MutableClock(Instant.now());
        Recorder senderSide = new Recorder();
        DeliveryAgent down = q -> all(q, r -> refused(r, "hop"));
        String main = "relayhost = [192.0.2.1]:25\nrelay_domains = sender.example\nrelay_transport = relay:[192.0.2.2]:25\n"
                + "delay_warning_time = 1h\nqueue_run_delay = 1s\nmaximal_backoff_time = 1h\n";
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", down, "relay", senderSide), clock)) {
            String qid = h.submit("alice@sender.example", BODY, "bob@remote.example");
            h.awaitLog(qid + ": to=<bob@remote\\.example>.*status=deferred", Duration.ofSeconds(10));
            awaitTrue(() -> h.files("deferred") == 1, "deferred");
            assertEquals(0, senderSide.requests.size(), "no notice before delay_warning_time");
            clock.advance(Duration.ofMinutes(90));
            h.awaitLog(qid + ": sender delay notification: [0-9A-F]+", Duration.ofSeconds(10));
            DeliveryRequest notice = senderSide.await(Duration.ofSeconds(10));
            assertTrue(notice.sender().isNull());
            String dsn = senderSide.contents.get(0);
            assertTrue(dsn.contains("Subject: Delayed Mail (still being retried)"), dsn);
            assertTrue(dsn.contains("Action: delayed\r\nStatus: 4.4.1"), dsn);
            assertTrue(dsn.contains("Content-Type: text/rfc822-headers"), "a delay notice returns headers only");
            awaitTrue(() -> h.files("deferred") == 1, "deferred again");
            clock.advance(Duration.ofMinutes(90));
            awaitTrue(() -> count(h.log(), qid + ": to=<bob@remote.example>") == 3, "third attempt");
            awaitTrue(() -> h.files("deferred") == 1, "deferred again");
            assertEquals(1, count(h.log(), "sender delay notification"), "the notice is sent once");
        }
    }

    @Test
    void doneRecipientsAreRecordedBeforeTheOtherDestinationFinishes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Recorder slow = new Recorder() {
            @Override
            public List<RecipientResult> deliver(DeliveryRequest q) {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.deliver(q);
            }
        };
        Recorder fast = new Recorder();
        String main = "relayhost = [192.0.2.1]:25\nrelay_domains = near.example\nrelay_transport = relay:[192.0.2.2]:25\n";
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", slow, "relay", fast), Clock.systemUTC())) {
            String qid = h.submit("alice@sender.example", BODY, "far@remote.example", "near@near.example");
            h.awaitLog(qid + ": to=<near@near\\.example>.*status=sent", Duration.ofSeconds(10));
            Path file = h.dir.resolve("queue/active").resolve(qid);
            awaitTrue(() -> Files.readString(file, StandardCharsets.ISO_8859_1).contains("\nD\tnear@near.example\t"), // a done record
                    "the sent recipient is recorded in the queue file while the other destination is in progress");
            assertTrue(Files.readString(file, StandardCharsets.ISO_8859_1).contains("rcpt far@remote.example"));
            release.countDown();
            h.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            assertTrue(fast.contents.get(0).startsWith("Subject: qmgr test\r\n"), fast.contents.get(0));
            assertEquals(fast.contents.get(0), slow.contents.get(0), "content read after the rewrite starts where it should");
        }
    }

    @Test
    void aRecipientSentBeforeACrashIsNotSentAgain() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        DeliveryAgent slow = q -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return all(q, QueueManagerTest::sent);
        };
        String main = "relayhost = [192.0.2.1]:25\nrelay_domains = near.example\nrelay_transport = relay:[192.0.2.2]:25\n";
        Path crashed = Files.createDirectories(dir.resolve("after-crash"));
        String qid;
        try (QmgrHarness h = new QmgrHarness(Files.createDirectories(dir.resolve("before")), main,
                Map.of("smtp", slow, "relay", new Recorder()), Clock.systemUTC())) {
            qid = h.submit("alice@sender.example", BODY, "far@remote.example", "near@near.example");
            h.awaitLog(qid + ": to=<near@near\\.example>.*status=sent", Duration.ofSeconds(10));
            Path file = h.dir.resolve("queue/active").resolve(qid);
            awaitTrue(() -> Files.readString(file, StandardCharsets.ISO_8859_1).contains("\nD\tnear@near.example\t"), "recorded"); // a done record
            // The disk as a crash would leave it: the file in active/ (the next start moves it back to incoming/).
            Files.createDirectories(crashed.resolve("queue/active"));
            Files.copy(file, crashed.resolve("queue/active").resolve(qid));
            release.countDown();
        }
        Recorder far = new Recorder();
        Recorder near = new Recorder();
        try (QmgrHarness h = new QmgrHarness(crashed, main, Map.of("smtp", far, "relay", near), Clock.systemUTC())) {
            h.awaitLog(qid + ": requeued from active", Duration.ofSeconds(10));
            h.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            assertEquals(List.of(MailAddress.parse("far@remote.example")), far.await(Duration.ofSeconds(1)).recipients());
            assertEquals(0, near.requests.size(), "the recipient sent before the crash is not sent again");
        }
    }

    @Test
    void destinationLimitsProcessLimitAndRoundRobin() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Map<String, AtomicInteger> now = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();
        AtomicInteger total = new AtomicInteger();
        AtomicInteger totalPeak = new AtomicInteger();
        DeliveryAgent agent = q -> {
            int n = now.computeIfAbsent(q.nexthop(), k -> new AtomicInteger()).incrementAndGet();
            peak.computeIfAbsent(q.nexthop(), k -> new AtomicInteger()).accumulateAndGet(n, Math::max);
            totalPeak.accumulateAndGet(total.incrementAndGet(), Math::max);
            try {
                if (q.nexthop().equals("busy.example")) {
                    release.await(20, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                now.get(q.nexthop()).decrementAndGet();
                total.decrementAndGet();
            }
            return all(q, QueueManagerTest::sent);
        };
        String main = "default_destination_concurrency_limit = 2\ndefault_process_limit = 3\n";
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", agent), Clock.systemUTC())) {
            for (int i = 0; i < 8; i++) {
                h.submit("alice@sender.example", BODY, "u" + i + "@busy.example");
            }
            h.awaitLog("to=<u\\d@busy.example>|from=<alice@sender.example>, size=\\d+, nrcpt=1 \\(queue active\\)", Duration.ofSeconds(10));
            String a = h.submit("alice@sender.example", BODY, "x@quiet-a.example");
            String b = h.submit("alice@sender.example", BODY, "y@quiet-b.example");
            // busy.example holds its 2 slots; the third slot serves the others in turn.
            h.awaitLog(a + ": removed", Duration.ofSeconds(10));
            h.awaitLog(b + ": removed", Duration.ofSeconds(10));
            assertEquals(2, peak.get("busy.example").get(), "destination concurrency limit");
            release.countDown();
            awaitTrue(() -> count(h.log(), ": removed") == 10, "all delivered");
            assertTrue(totalPeak.get() <= 3, "default_process_limit: " + totalPeak.get());
        }
    }

    @Test
    void aDeadDestinationsQueuedMailIsSuspendedWithoutAConnection() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        DeliveryAgent dead = q -> {
            calls.incrementAndGet();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return all(q, r -> refused(r, "down.example"));
        };
        String main = "smtp_destination_concurrency_limit = 1\nminimal_backoff_time = 1h\nmaximal_backoff_time = 2h\n";
        try (QmgrHarness h = new QmgrHarness(dir, main, Map.of("smtp", dead), Clock.systemUTC())) {
            for (int i = 0; i < 4; i++) {
                h.submit("alice@sender.example", BODY, "u" + i + "@down.example");
            }
            awaitTrue(() -> count(h.log(), "(queue active)") == 4, "all four active");
            assertEquals(1, calls.get(), "one connection at a time (smtp_destination_concurrency_limit)");
            release.countDown();
            h.awaitLog("postern/qmgr\\[\\d+\\]: destination smtp:down\\.example marked down for 3600s", Duration.ofSeconds(10));
            awaitTrue(() -> count(h.log(), "status=deferred (delivery temporarily suspended: connect to down.example[192.0.2.9]:25: Connection refused)") == 3,
                    "the three queued messages deferred without a connection");
            String late = h.submit("alice@sender.example", BODY, "late@down.example");
            h.awaitLog(late + ": to=<late@down\\.example>, relay=none, .*dsn=4\\.4\\.1, status=deferred \\(delivery temporarily suspended", Duration.ofSeconds(10));
            assertEquals(1, calls.get(), "no further connection attempt while the destination is down");
            awaitTrue(() -> h.files("deferred") == 5, "all deferred");
            // The whole log now: the suspensions are logged by the qmgr-retry thread, after the mark.
            assertTrue(h.log().contains("postern/retry["), "suspended deliveries are logged by retry, as Postfix");
        }
    }

    @Test
    void activeQueueStaysWithinQmgrMessageActiveLimit() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        DeliveryAgent slow = q -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return all(q, QueueManagerTest::sent);
        };
        try (QmgrHarness h = new QmgrHarness(dir, "qmgr_message_active_limit = 3\n", Map.of("smtp", slow), Clock.systemUTC())) {
            for (int i = 0; i < 10; i++) {
                h.submit("alice@sender.example", BODY, "u" + i + "@d" + i + ".example");
            }
            awaitTrue(() -> h.qmgr.activeCount() == 3, "three active");
            Thread.sleep(300); // a window in which a fourth activation would show
            assertEquals(3, h.qmgr.activeCount());
            assertEquals(3, h.files("active"));
            assertEquals(7, h.files("incoming"));
            release.countDown();
            awaitTrue(() -> count(h.log(), ": removed") == 10, "all delivered");
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (c.ok()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("timed out waiting: " + what);
    }

    static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}

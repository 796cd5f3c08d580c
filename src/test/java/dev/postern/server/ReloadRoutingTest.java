package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern reload} (SIGHUP to a daemon process) applies the queue manager's settings too
 * (issue 9 §3): under a client loop, one reload moves relayhost from next hop A to next hop B, adds
 * a transport_maps entry sending one domain to A, shortens maximal_queue_lifetime to 0 and turns on
 * postmaster copies of bounces (notify_classes, bounce_notice_recipient). After it: new mail goes
 * to B, the mapped domain to A, a message deferred before the reload expires at its next retry and
 * its bounce (and the postmaster copy) goes out through B. No connection is refused, no transaction
 * fails, and every message of the load arrives at A or B: nothing lost across the swap. The mail
 * log carries no "reload cannot apply" warning for those settings.
 */
class ReloadRoutingTest {
    @TempDir
    Path dir;

    private final List<RecordingSink.Message> atA = new CopyOnWriteArrayList<>();
    private final List<RecordingSink.Message> atB = new CopyOnWriteArrayList<>();

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void reloadAppliesRelayhostTransportMapsQueueLifetimeAndBounceSettings() throws Exception {
        DaemonUnderTest d = new DaemonUnderTest(dir);
        RecordingSink a = d.sink;
        RecordingSink b = RecordingSink.start();
        String stuck = "stuck@later.example";
        a.rcptReplies.put(stuck, "450 4.2.1 try again later");
        b.rcptReplies.put(stuck, "450 4.2.1 try again later");
        String master = TestMta.seedMasterCf("127.0.0.1:0");
        d.write("", master);
        Process daemon = DaemonProcess.start(dir, dir.resolve("queue"), dir.resolve("daemon.out"));
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        Thread[] clients = new Thread[2];
        try {
            loadReloadAndCheck(d, daemon, a, b, stuck, running, sent, failed, firstFailure, clients);
        } finally {
            daemon.destroyForcibly(); // also when an assertion failed before stop
            a.close();
            b.close();
        }
    }

    private void loadReloadAndCheck(DaemonUnderTest d, Process daemon, RecordingSink a, RecordingSink b, String stuck,
                              AtomicBoolean running, AtomicInteger sent, AtomicInteger failed,
                              AtomicReference<String> firstFailure, Thread[] clients) throws Exception {
        try {
            d.awaitLog("daemon started -- listening on 127\\.0\\.0\\.1:\\d+", Duration.ofSeconds(10));
            InetSocketAddress submission = new InetSocketAddress("127.0.0.1",
                    d.ports("daemon started -- listening on 127\\.0\\.0\\.1:(\\d+)").get(0));

            send(d, submission, stuck, "stuck");
            d.awaitLog("to=<" + stuck + ">.*status=deferred", Duration.ofSeconds(20));
            send(d, submission, "before@example.com", "before");
            awaitAt(a, atA, m -> m.data().contains("Subject: before"), "before the reload: relayhost A");

            for (int i = 0; i < clients.length; i++) {
                clients[i] = new Thread(() -> {
                    while (running.get()) {
                        try {
                            d.send(submission, "load@example.com");
                            sent.incrementAndGet();
                        } catch (Exception | AssertionError e) {
                            failed.incrementAndGet();
                            firstFailure.compareAndSet(null, String.valueOf(e));
                        }
                    }
                });
                clients[i].start();
            }
            awaitCount(sent, 3);

            String newMain = d.mainCf("transport_maps = inline:{ special.example=smtp:[127.0.0.1]:" + a.port() + " }\n"
                    + "maximal_queue_lifetime = 0s\n"
                    + "notify_classes = bounce\nbounce_notice_recipient = watcher@notice.example\n")
                    .replace("relayhost = [127.0.0.1]:" + a.port(), "relayhost = [127.0.0.1]:" + b.port());
            Files.writeString(dir.resolve("main.cf"), newMain);
            DaemonUnderTest.Run r = d.postern("reload");
            assertEquals(0, r.code(), r.err());
            int afterReload = sent.get();
            awaitCount(sent, afterReload + 3); // mail flows after the reload

            send(d, submission, "after@example.com", "after");
            awaitAt(b, atB, m -> m.data().contains("Subject: after"), "relayhost B after the reload");
            send(d, submission, "someone@special.example", "mapped");
            awaitAt(a, atA, m -> m.data().contains("Subject: mapped"), "transport_maps entry added by the reload: A");
            // The message deferred before the reload: its retry goes by the new lifetime (0: try once).
            d.awaitLog("from=<load@client\\.postern\\.test>, status=expired, returned to sender", Duration.ofSeconds(30));
            awaitAt(b, atB, m -> m.mailFrom().equals("<>") && m.rcptTo().contains("<load@client.postern.test>")
                    && m.data().contains(stuck), "the bounce, through relayhost B");
            awaitAt(b, atB, m -> m.rcptTo().contains("<watcher@notice.example>") && m.data().contains(stuck),
                    "the postmaster copy (notify_classes = bounce, set by the reload)");
        } finally {
            running.set(false);
            for (Thread t : clients) {
                if (t != null) {
                    t.join(30_000);
                }
            }
        }
        {
            assertEquals(0, failed.get(), "failed transactions or refused connections around the reload: " + firstFailure.get());
            int total = sent.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (loadMessages() < total && System.nanoTime() < deadline) {
                drain(a, atA, 1);
                drain(b, atB, 1);
            }
            assertEquals(total, loadMessages(), "every message of the load arrived at A or B");
            assertFalse(d.log().contains("reload cannot apply"), "qmgr, router and bounce settings are applied:\n" + d.log());
            assertTrue(d.log().contains("reload -- configuration"), d.log());
            DaemonUnderTest.Run stop = d.postern("stop");
            assertEquals(0, stop.code(), stop.err());
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "the daemon exits after stop");
        }
    }

    private long loadMessages() {
        return atA.stream().filter(m -> m.data().contains("Subject: reload load")).count()
                + atB.stream().filter(m -> m.data().contains("Subject: reload load")).count();
    }

    /** Waits until a message matching {@code wanted} has arrived at {@code sink}. */
    private void awaitAt(RecordingSink sink, List<RecordingSink.Message> seen, Predicate<RecordingSink.Message> wanted,
                         String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (seen.stream().noneMatch(wanted)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never arrived: " + what + "; got " + seen.size() + " messages there");
            }
            drain(sink, seen, 1);
        }
    }

    private static void drain(RecordingSink sink, List<RecordingSink.Message> into, long seconds) throws InterruptedException {
        RecordingSink.Message m = sink.take(seconds);
        while (m != null) {
            into.add(m);
            m = sink.take(0);
        }
    }

    /** One message over STARTTLS with the client certificate, with a subject to find it by. */
    private static void send(DaemonUnderTest d, InetSocketAddress at, String rcpt, String subject) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(at)) {
            DaemonUnderTest.expect(c.reply(), "220 ");
            DaemonUnderTest.expect(c.command("EHLO client.postern.test"), "250");
            DaemonUnderTest.expect(c.command("STARTTLS"), "220 ");
            TestPki.Client cert = d.pki.goodClient();
            c.startTls(d.pki.caCertificate(), cert.certificate(), cert.key());
            DaemonUnderTest.expect(c.command("EHLO client.postern.test"), "250");
            DaemonUnderTest.expect(c.command("MAIL FROM:<load@client.postern.test>"), "250 ");
            DaemonUnderTest.expect(c.command("RCPT TO:<" + rcpt + ">"), "250 ");
            DaemonUnderTest.expect(c.command("DATA"), "354 ");
            DaemonUnderTest.expect(c.command("Subject: " + subject + "\r\n\r\nbody\r\n."), "250 ");
            c.command("QUIT");
        }
    }

    private static void awaitCount(AtomicInteger n, int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (n.get() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + n.get() + " messages sent, expected " + atLeast);
            }
            Thread.sleep(20);
        }
    }
}

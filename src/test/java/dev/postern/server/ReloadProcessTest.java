package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern reload} against a daemon process (issue 9 §3, §5): SIGHUP swaps the configuration
 * in place. Under a client loop sending mail over STARTTLS with a client certificate, five reloads
 * cost no refused connection and no failed transaction (the old stop-then-start refused
 * connections for ~2.7 s each); a changed restriction and TLS level apply to new sessions while a
 * session in progress keeps the old ones; a removed listener closes and a new one opens; an
 * invalid configuration, whether the CLI or only the daemon finds it, changes nothing and says
 * why; stop ends the process cleanly.
 */
class ReloadProcessTest {
    @TempDir
    Path dir;

    private static String master(String second) {
        return TestMta.seedMasterCf("127.0.0.1:0") + second;
    }

    private static final String OPEN_PORT = "127.0.0.1:0 inet n - n - - smtpd\n"
            + "  -o smtpd_tls_security_level=may -o smtpd_tls_req_ccert=no\n"
            + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n";

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void reloadsWithoutAGap() throws Exception {
        DaemonUnderTest d = new DaemonUnderTest(dir);
        d.write("", master(OPEN_PORT));
        Process daemon = DaemonProcess.start(dir, dir.resolve("queue"), dir.resolve("daemon.out"));
        try {
            d.awaitLog("daemon started -- listening on 127\\.0\\.0\\.1:\\d+[\\s\\S]*daemon started", Duration.ofSeconds(10));
            List<Integer> ports = d.ports("daemon started -- listening on 127\\.0\\.0\\.1:(\\d+)");
            InetSocketAddress submission = new InetSocketAddress("127.0.0.1", ports.get(0));
            InetSocketAddress open = new InetSocketAddress("127.0.0.1", ports.get(1));

            underLoad(d, submission);
            restrictionsAndTlsApplyToNewSessions(d, open);
            removedListenerClosesNewOneOpens(d, open);
            invalidConfigurationsChangeNothing(d, submission);

            DaemonUnderTest.Run stop = d.postern("stop");
            assertEquals(0, stop.code(), stop.err());
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), "the daemon exits after stop");
            d.awaitLog("terminating on signal 15", Duration.ofSeconds(5));
            String out = DaemonProcess.tail(dir.resolve("daemon.out"));
            assertFalse(out.contains("\tat ") || out.contains("Exception"), "no stack trace on stderr: " + out);
        } finally {
            daemon.destroyForcibly();
            d.sink.close();
        }
    }

    private void underLoad(DaemonUnderTest d, InetSocketAddress submission) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger sent = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        Thread[] clients = new Thread[2];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new Thread(() -> {
                while (running.get()) {
                    try {
                        d.send(submission, "someone@example.com");
                        sent.incrementAndGet();
                    } catch (Exception | AssertionError e) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, String.valueOf(e));
                    }
                }
            });
            clients[i].start();
        }
        try {
            awaitCount(sent, 3);
            for (int i = 1; i <= 5; i++) {
                d.write("smtpd_banner = $myhostname ESMTP generation " + i + "\n", master(OPEN_PORT));
                int before = sent.get();
                DaemonUnderTest.Run r = d.postern("reload");
                assertEquals(0, r.code(), r.err());
                assertTrue(r.out().contains("postern: reloaded"), r.out());
                awaitCount(sent, before + 2); // mail flows between reloads
            }
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join(30_000);
            }
        }
        assertEquals(0, failed.get(), "failed transactions or refused connections during reloads: " + firstFailure.get());
        assertTrue(sent.get() >= 13, "sent " + sent.get());
        d.awaitCount("reload -- configuration", 5, Duration.ofSeconds(5));
        try (SmtpTestClient c = new SmtpTestClient(submission)) {
            assertTrue(c.reply().endsWith("ESMTP generation 5"), "new sessions get the last banner");
        }
        // Everything accepted is delivered: qmgr went on through the reloads.
        int total = sent.get();
        d.awaitCount("status=sent", total, Duration.ofSeconds(60));
    }

    private void restrictionsAndTlsApplyToNewSessions(DaemonUnderTest d, InetSocketAddress open) throws Exception {
        try (SmtpTestClient old = new SmtpTestClient(open)) {
            old.reply();
            assertTrue(old.command("EHLO a.example").contains("STARTTLS"));
            assertTrue(old.command("MAIL FROM:<a@a.example>").startsWith("250"));
            assertTrue(old.command("RCPT TO:<postmaster@mx.postern.test>").startsWith("250"), "local domain accepted before");

            d.write("", master("127.0.0.1:0 inet n - n - - smtpd\n"
                    + "  -o smtpd_tls_security_level=none -o smtpd_tls_req_ccert=no\n"
                    + "  -o smtpd_recipient_restrictions=reject\n"));
            DaemonUnderTest.Run r = d.postern("reload");
            assertEquals(0, r.code(), r.err());

            // The session in progress keeps its settings.
            assertTrue(old.command("RCPT TO:<abuse@mx.postern.test>").startsWith("250"), "old session, old restrictions");
            assertTrue(old.command("RSET").startsWith("250"));
            assertTrue(old.command("EHLO a.example").contains("STARTTLS"), "old session, old TLS level");
            try (SmtpTestClient fresh = new SmtpTestClient(open)) {
                fresh.reply();
                assertFalse(fresh.command("EHLO b.example").contains("STARTTLS"), "smtpd_tls_security_level=none now");
                assertTrue(fresh.command("MAIL FROM:<b@b.example>").startsWith("250"));
                String rcpt = fresh.command("RCPT TO:<postmaster@mx.postern.test>");
                assertTrue(rcpt.startsWith("554 5.7.1"), "smtpd_recipient_restrictions = reject now: " + rcpt);
            }
        }
    }

    private void removedListenerClosesNewOneOpens(DaemonUnderTest d, InetSocketAddress open) throws Exception {
        d.write("", master("127.0.0.2:0 inet n - n - - smtpd\n"
                + "  -o smtpd_tls_security_level=may -o smtpd_tls_req_ccert=no\n"
                + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n"));
        DaemonUnderTest.Run r = d.postern("reload");
        assertEquals(0, r.code(), r.err());
        d.awaitLog("listening on 127\\.0\\.0\\.2:\\d+", Duration.ofSeconds(5));
        // The mail log is written by its own thread: the other line may come a moment later.
        d.awaitLog("no longer listening on 127\\.0\\.0\\.1:" + open.getPort(), Duration.ofSeconds(5));
        assertThrows(ConnectException.class, () -> new Socket(open.getAddress(), open.getPort()).close());
        int added = d.ports("listening on 127\\.0\\.0\\.2:(\\d+)").get(0);
        try (SmtpTestClient c = new SmtpTestClient(new InetSocketAddress("127.0.0.2", added))) {
            assertTrue(c.reply().startsWith("220 "));
        }
    }

    private void invalidConfigurationsChangeNothing(DaemonUnderTest d, InetSocketAddress submission) throws Exception {
        String master = master("127.0.0.2:0 inet n - n - - smtpd\n  -o smtpd_tls_security_level=may -o smtpd_tls_req_ccert=no\n"
                + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n");
        // Found by the CLI: a bad value.
        d.write("smtpd_timeout = soon\n", master);
        DaemonUnderTest.Run bad = d.postern("reload");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("new configuration refused, still running the old one: main.cf:"), bad.err());
        // Found only by the daemon: a new listener whose port is taken. The banner change that came
        // with it is not applied either: all or nothing.
        try (ServerSocket taken = new ServerSocket(0, 5, java.net.InetAddress.getByName("127.0.0.1"))) {
            d.write("smtpd_banner = $myhostname half applied\n", master
                    + "127.0.0.1:" + taken.getLocalPort() + " inet n - n - - smtpd\n"
                    + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n");
            DaemonUnderTest.Run busy = d.postern("reload");
            assertEquals(1, busy.code(), busy.out());
            assertTrue(busy.err().contains("new configuration refused, still running the old one: cannot listen on"), busy.err());
            d.awaitLog("warning: reload refused, still running the old configuration: cannot listen on", Duration.ofSeconds(5));
        }
        try (SmtpTestClient c = new SmtpTestClient(submission)) {
            String banner = c.reply();
            assertFalse(banner.contains("half applied"), banner);
        }
        d.send(submission, "after@example.com");
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

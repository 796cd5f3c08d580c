package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.testing.ReservedPort;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 20 MB tmpfs queue filling up: MAIL FROM is refused with 452 4.3.1 before the disk is full
 * (queue_minfree), a SIZE= that would not fit is refused at MAIL rather than after the upload,
 * nothing acknowledged is lost, and once the queue drains the space is given back (delivered
 * mail does not linger in recycle/) and mail is accepted again.
 */
class DiskFullTest {
    private static final Pattern RECEIVED_ID = Pattern.compile("with \\S+ id ([0-9A-F]+)");
    private static final String FULL = "452 4.3.1 Insufficient system storage";

    @TempDir
    Path dir;
    @AutoClose
    private final ReservedPort reservedSubmission = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort reservedNextHop = ReservedPort.reserve();

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    @Test
    void aFillingQueueRefusesMailAt452AndLosesNothing() throws Exception {
        Path queue = dir.resolve("queue");
        Files.createDirectories(queue);
        int mounted = run("mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", queue.toString());
        Assumptions.assumeTrue(mounted == 0, "cannot mount a tmpfs here (needs root): mount exited " + mounted);
        try {
            fillAndDrain(queue);
        } finally {
            run("umount", "-l", queue.toString());
        }
    }

    private void fillAndDrain(Path queue) throws Exception {
        int submission = reservedSubmission.port();
        int nextHop = reservedNextHop.port(); // down while the queue fills
        // queue_minfree 4 MiB, messages up to 1 MB: MAIL is refused below 4 MiB free, and a
        // declared SIZE=1000000 already below 4 MiB + 1 MB.
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nmynetworks = 127.0.0.0/8\n"
                + "queue_directory = " + queue + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + nextHop + "\nsmtp_tls_security_level = none\n"
                + "message_size_limit = 1000000\nqueue_minfree = 4194304\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:" + submission + " inet n - n - - smtpd\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        long total = Files.getFileStore(queue).getTotalSpace();
        Server server = Server.start(Server.plan(dir), new ByteArrayOutputStream());
        Set<String> acked = new HashSet<>();
        boolean sizeRefusedFirst = false;
        String refusal = null;
        String body = "Subject: filler\r\n\r\n" + ("x".repeat(998) + "\r\n").repeat(200); // ~200 KB
        try (SmtpTestClient c = new SmtpTestClient(new InetSocketAddress("127.0.0.1", submission))) {
            c.reply();
            c.command("EHLO fill.test");
            for (int i = 0; i < 200 && refusal == null; i++) {
                String big = c.command("MAIL FROM:<big@fill.test> SIZE=1000000");
                if (big.startsWith("452")) {
                    assertEquals(FULL, big);
                    sizeRefusedFirst = true;
                } else {
                    assertTrue(big.startsWith("250"), big);
                    c.command("RSET");
                }
                String mail = c.command("MAIL FROM:<small@fill.test>");
                if (mail.startsWith("452")) {
                    refusal = mail;
                    break;
                }
                assertTrue(mail.startsWith("250"), mail);
                assertTrue(c.command("RCPT TO:<rcpt@remote.example>").startsWith("250"));
                assertTrue(c.command("DATA").startsWith("354"));
                String r = c.command(body + ".");
                if (r.startsWith("250 2.0.0 Ok: queued as ")) {
                    acked.add(r.substring(r.lastIndexOf(' ') + 1));
                } else {
                    assertTrue(r.startsWith("4"), "a temporary failure, never a loss: " + r);
                }
            }
        }
        assertEquals(FULL, refusal, "MAIL refused before the disk is full");
        assertTrue(sizeRefusedFirst, "SIZE=1000000 refused at MAIL while smaller mail still fitted");
        assertTrue(acked.size() >= 20, acked.size() + " messages before the queue was full");
        Path maillog = dir.resolve("maillog"); // written by the log's own thread: wait for the lines
        CrashLoopTest.awaitCondition(() -> read(maillog).contains("NOQUEUE: reject: MAIL from localhost[127.0.0.1]: " + FULL
                + "; proto=ESMTP helo=<fill.test>") && read(maillog).contains("warning: not enough free space in mail queue: "),
                Duration.ofSeconds(20), "the reject and the warning in the mail log:\n" + read(maillog));

        try (RecordingSink sink = RecordingSink.start(nextHop)) {
            StringWriter out = new StringWriter();
            assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                    "-c", dir.toString(), "queue", "flush"));
            Set<String> delivered = new HashSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < deadline && !(delivered.containsAll(acked) && CrashLoopTest.queueEmpty(queue))) {
                RecordingSink.Message m = sink.take(1);
                if (m != null) {
                    Matcher id = RECEIVED_ID.matcher(m.data());
                    delivered.add(id.find() ? id.group(1) : "?");
                }
            }
            Set<String> lost = new HashSet<>(acked);
            lost.removeAll(delivered);
            assertEquals(Set.of(), lost, "acknowledged before the disk filled, never delivered");
            // The space comes back: recycle/ keeps no delivered bytes.
            CrashLoopTest.awaitCondition(() -> usable(queue) > total - 2 * 1024 * 1024, Duration.ofSeconds(30),
                    "free space back after the drain (" + usable(queue) + " of " + total + ")");
            // smtpd reads free space from a value refreshed once a second off the event loop (cleanup.FreeSpace).
            CrashLoopTest.awaitCondition(() -> {
                try (SmtpTestClient c = new SmtpTestClient(new InetSocketAddress("127.0.0.1", submission))) {
                    c.reply();
                    c.command("EHLO fill.test");
                    return c.command("MAIL FROM:<again@fill.test> SIZE=1000000").startsWith("250");
                } catch (java.io.IOException e) {
                    return false;
                }
            }, Duration.ofSeconds(10), "accepted again once the space is back");
        } finally {
            server.close();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static long usable(Path p) {
        try {
            return Files.getFileStore(p).getUsableSpace();
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}

package dev.postern.server;

import dev.postern.testing.ReservedPort;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The durability promise, with a real process and SIGKILL: every message that got a 250 is on disk
 * after {@code kill -9} in the middle of concurrent submissions, and is delivered after restart.
 */
class CrashDurabilityTest {
    @TempDir
    Path dir;
    @AutoClose
    private final ReservedPort reservedNextHopPort = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort reservedSubmissionPort = ReservedPort.reserve();

    @Test
    void killMinus9LosesNoAcknowledgedMessage() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        int nextHopPort = reservedNextHopPort.port(); // nothing listens yet: mail stays queued
        int submissionPort = reservedSubmissionPort.port();
        Files.writeString(dir.resolve("main.cf"), TestMta.seedMainCf(dir, pki)
                + "myhostname = mx.postern.test\nmynetworks = 192.0.2.0/24\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + nextHopPort + "\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), TestMta.seedMasterCf("127.0.0.1:" + submissionPort));

        Process server = startProcess();
        Set<String> acknowledged = Collections.synchronizedSet(new HashSet<>());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                while (!stop.get()) {
                    try (SmtpTestClient c = new SmtpTestClient(new InetSocketAddress("127.0.0.1", submissionPort))) {
                        c.reply();
                        c.command("EHLO fred");
                        c.command("STARTTLS");
                        c.startTls(pki.caCertificate(), pki.goodClient().certificate(), pki.goodClient().key());
                        c.command("EHLO fred");
                        for (int i = 0; i < 5 && !stop.get(); i++) {
                            c.command("MAIL FROM:<me@my.domain.example>");
                            c.command("RCPT TO:<someone@somewhere.else.example>");
                            c.command("DATA");
                            String r = c.command("Subject: crash test\r\n\r\n" + "x".repeat(2000) + "\r\n.");
                            if (r != null && r.startsWith("250 2.0.0 Ok: queued as ")) {
                                acknowledged.add(r.substring(r.lastIndexOf(' ') + 1));
                            }
                        }
                    } catch (Exception e) {
                        // the server was killed under us: expected
                    }
                }
            });
            th.start();
            senders.add(th);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (acknowledged.size() < 40 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        server.destroyForcibly(); // SIGKILL, in the middle of sessions
        server.waitFor();
        stop.set(true);
        for (Thread th : senders) {
            th.join(20_000);
        }
        Set<String> acked = new HashSet<>(acknowledged);
        assertTrue(acked.size() >= 40, "only " + acked.size() + " messages were acknowledged");

        Set<String> onDisk = new HashSet<>();
        for (String q : List.of("incoming", "active", "deferred")) {
            try (Stream<Path> s = Files.list(dir.resolve("queue").resolve(q))) {
                s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).forEach(onDisk::add);
            }
        }
        Set<String> missing = new HashSet<>(acked);
        missing.removeAll(onDisk);
        assertEquals(Set.of(), missing, "acknowledged but not on disk after kill -9");

        try (RecordingSink sink = RecordingSink.start(nextHopPort)) {
            Process again = startProcess();
            try {
                Set<String> delivered = new HashSet<>();
                long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (!delivered.containsAll(acked) && System.nanoTime() < until) {
                    RecordingSink.Message m = sink.take(1);
                    if (m != null) {
                        java.util.regex.Matcher id = java.util.regex.Pattern.compile("with ESMTPS id ([0-9A-F]+)").matcher(m.data());
                        if (id.find()) {
                            delivered.add(id.group(1));
                        }
                    }
                }
                Set<String> lost = new HashSet<>(acked);
                lost.removeAll(delivered);
                assertEquals(Set.of(), lost, "acknowledged messages not delivered after restart");
            } finally {
                again.destroy();
                again.waitFor();
            }
        }
    }

    private Process startProcess() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "dev.postern.cli.Main",
                "-c", dir.toString(), "start-fg")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("process.out").toFile())
                .start();
        Path pid = dir.resolve("queue").resolve("pid").resolve("master.pid");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(pid) && Files.readString(pid).trim().equals(Long.toString(p.pid()))) {
                return p;
            }
            if (!p.isAlive()) {
                throw new AssertionError("server died: " + Files.readString(dir.resolve("process.out")));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("server not ready: " + Files.readString(dir.resolve("process.out")));
    }
}

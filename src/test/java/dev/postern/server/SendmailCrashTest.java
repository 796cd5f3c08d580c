package dev.postern.server;

import dev.postern.testing.ReservedPort;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Never loses a message it exited 0 for", with SIGKILL: sendmail keeps submitting while pickup
 * works in a daemon process that is killed; every message whose sendmail exited 0 is delivered
 * after a restart (a duplicate is allowed, a loss is not).
 */
class SendmailCrashTest {
    @TempDir
    Path dir;
    @AutoClose
    private final ReservedPort reservedNextHop = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort reservedPort = ReservedPort.reserve();

    @Test
    void killMinus9DuringPickupLosesNoAcceptedMessage() throws Exception {
        int nextHop = reservedNextHop.port(); // nothing listens yet: mail stays queued
        int port = reservedPort.port();
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n" + SendmailTest.ORIGIN
                + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + nextHop + "\nsmtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:" + port + " inet n - n - - smtpd\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");

        Process daemon = new ProcessBuilder(LocalCommand.postern("-c", dir.toString(), "start-fg"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.out").toFile()).start();
        Set<String> accepted = Collections.synchronizedSet(new HashSet<>());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger next = new AtomicInteger();
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread th = new Thread(() -> {
                while (!stop.get()) {
                    String id = "msg-" + next.incrementAndGet();
                    SendmailTest.Run r = SendmailTest.sendmail("Subject: " + id + "\n\n" + id + "\n", "sendmail",
                            "-C", dir.toString(), "bob@remote.test");
                    if (r.code() == 0) {
                        accepted.add(id);
                    }
                }
            });
            th.start();
            senders.add(th);
        }
        // Kill while pickup is busy: after it has taken some messages, with more still arriving.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline && pickedUp() < 20) {
            Thread.sleep(20);
        }
        daemon.destroyForcibly();
        daemon.waitFor();
        stop.set(true);
        for (Thread th : senders) {
            th.join();
        }
        assertTrue(pickedUp() >= 20, "pickup worked before the kill: " + Files.readString(dir.resolve("daemon.out")));
        assertTrue(accepted.size() > pickedUp() / 2, "sendmail kept accepting");

        RecordingSink sink = RecordingSink.start(nextHop);
        try (Server server = Server.start(Server.plan(dir), new ByteArrayOutputStream())) {
            Set<String> delivered = new HashSet<>();
            Pattern subject = Pattern.compile("Subject: (msg-\\d+)");
            long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!delivered.containsAll(accepted) && System.nanoTime() < until) {
                RecordingSink.Message m = sink.take(1);
                if (m != null) {
                    Matcher mm = subject.matcher(m.data());
                    assertTrue(mm.find(), m.data());
                    delivered.add(mm.group(1));
                }
            }
            Set<String> lost = new HashSet<>(accepted);
            lost.removeAll(delivered);
            System.out.println("SendmailCrashTest: accepted " + accepted.size() + ", delivered " + delivered.size());
            assertEquals(Set.of(), lost, "accepted by sendmail (exit 0) but never delivered");
        } finally {
            sink.close();
        }
    }

    private int pickedUp() throws Exception {
        Path log = dir.resolve("maillog");
        if (!Files.exists(log)) {
            return 0;
        }
        return (int) Files.readAllLines(log).stream().filter(l -> l.contains("/pickup[") && l.contains(": uid=")).count();
    }
}

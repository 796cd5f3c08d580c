package dev.postern.server;

import dev.postern.pickup.Maildrop;
import dev.postern.pickup.MaildropFile;
import dev.postern.queue.DeferredFiller;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 8 §2 at test scale: the daemon, in a JVM limited to a 40 MiB heap, walks a deferred/ of
 * 50,000 messages again and again (queue_run_delay 2s), finds and delivers the due ones spread
 * through it, and passes fresh mail through meanwhile. The walk keeps no per-file objects;
 * holding every deferred name (as a sorted listing did) adds several MiB per walk of this size.
 * bench/deferred-rss.sh measures the same at a million.
 */
class DeferredQueueHeapTest {
    @TempDir
    Path dir;

    @Test
    void fiftyThousandDeferredMessagesInAFortyMegabyteHeap() throws Exception {
        Path queue = dir.resolve("queue");
        Path output = dir.resolve("process.out");
        DeferredFiller.fill(queue, 50_000, Instant.now().plus(Duration.ofDays(1)), "alice@sender.example", "bob@later.example");
        DeferredFiller.fill(queue, 200, Instant.now().minusSeconds(1), "alice@sender.example", "carol@due.example");
        try (RecordingSink sink = RecordingSink.start()) {
            Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nmynetworks = 127.0.0.0/8\n"
                    + "queue_directory = " + queue + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\nsmtp_tls_security_level = none\nqueue_run_delay = 2s\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
            Process daemon = DaemonProcess.start(dir, queue, output, List.of("-Xmx40m", "-XX:+ExitOnOutOfMemoryError"));
            try {
                int due = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (due < 200 && System.nanoTime() < deadline) {
                    RecordingSink.Message m = sink.take(1);
                    if (m != null) {
                        assertEquals(List.of("<carol@due.example>"), m.rcptTo(), "only due mail is sent");
                        due++; // the 200 are alike: count them
                    }
                    assertTrue(daemon.isAlive(), "the daemon died: " + DaemonProcess.tail(output));
                }
                assertEquals(200, due, "every due message found in the walk; " + DaemonProcess.tail(dir.resolve("maillog")));

                // Fresh mail (through sendmail's maildrop) while deferred/ is walked every 2 s.
                for (int i = 0; i < 3; i++) {
                    long t0 = System.nanoTime();
                    new Maildrop(queue).deposit(new MaildropFile("dave@desk.example", "", List.of("erin@fresh.example"),
                            ("Subject: fresh " + i + "\r\n\r\nfresh\r\n").getBytes(StandardCharsets.US_ASCII)));
                    RecordingSink.Message fresh = sink.take(20);
                    assertNotNull(fresh, "fresh mail " + i + " never arrived");
                    assertEquals(List.of("<erin@fresh.example>"), fresh.rcptTo());
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    assertTrue(ms < 5000, "fresh mail took " + ms + " ms");
                }
                assertTrue(daemon.isAlive(), "the daemon died: " + DaemonProcess.tail(output));
                assertFalse(Files.readString(output).contains("OutOfMemoryError"), DaemonProcess.tail(output));
                try (var s = Files.list(queue.resolve("deferred"))) {
                    assertEquals(50_000, s.count(), "mail not due stays deferred");
                }
            } finally {
                daemon.destroy();
                daemon.waitFor();
            }
        }
    }
}

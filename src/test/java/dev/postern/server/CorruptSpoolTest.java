package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;
import dev.postern.queue.QueueEnvelope;
import dev.postern.queue.Spool;
import dev.postern.queue.SpoolWriter;
import dev.postern.testing.ReservedPort;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A running daemon meets truncated (the first 300 bytes of a real queue file, under its own ID),
 * foreign (random bytes), FIFO and directory entries in incoming/, active/, deferred/ and hold/:
 * all end in corrupt/ with a warning, none is ever delivered (the sink gets only the sound
 * message), and the queue tools list them.
 */
class CorruptSpoolTest {
    @TempDir
    Path dir;
    @AutoClose
    private final ReservedPort reservedPort = ReservedPort.reserve();

    /** Real queue files, written by the spool itself in a scratch directory. */
    private static List<byte[]> realFiles(Path scratch, int n) throws Exception {
        List<byte[]> out = new ArrayList<>();
        try (Spool spool = Spool.open(scratch)) {
            for (int i = 0; i < n; i++) {
                QueueId id = QueueId.next();
                SpoolWriter w = new SpoolWriter(spool, id);
                w.begin(new QueueEnvelope(id, Instant.now(), ReversePath.of(MailAddress.parse("a@example.org")), "x[192.0.2.1]",
                        "x", "ESMTP", false, false, List.of(MailAddress.parse("victim@remote.example"))));
                w.write(ByteBuffer.wrap(("Subject: truncated-" + i + "\r\n\r\n" + "body line\r\n".repeat(200))
                        .getBytes(StandardCharsets.US_ASCII)));
                w.commit().get(10, TimeUnit.SECONDS);
                out.add(Files.readAllBytes(scratch.resolve("incoming").resolve(id.toString())));
            }
        }
        return out;
    }

    private static String idOf(byte[] file) {
        return new String(file, 0, 80, StandardCharsets.US_ASCII).split("\n")[1].substring(3);
    }

    @Test
    void corruptEntriesInEveryQueueDirectoryAreSavedAsideAndNeverDelivered() throws Exception {
        Path queue = dir.resolve("queue");
        List<byte[]> real = realFiles(dir.resolve("scratch"), 5);
        Spool.open(queue).close(); // the directories, as a first start makes them
        int planted = 0;
        List<String> queues = List.of("incoming", "active", "deferred", "hold");
        for (int i = 0; i < queues.size(); i++) {
            Path q = queue.resolve(queues.get(i));
            byte[] file = real.get(i);
            Files.write(q.resolve(idOf(file)), java.util.Arrays.copyOf(file, 300));
            byte[] garbage = new byte[3000];
            new Random(i).nextBytes(garbage);
            Files.write(q.resolve(QueueId.next().toString()), garbage);
            Process mk = new ProcessBuilder("mkfifo", q.resolve(QueueId.next().toString()).toString()).start();
            assertEquals(0, mk.waitFor());
            Files.createDirectory(q.resolve(QueueId.next().toString()));
            planted += 4;
        }
        byte[] sound = real.get(4);
        Path good = queue.resolve("deferred").resolve(idOf(sound));
        Files.write(good, sound);
        Files.setLastModifiedTime(good, FileTime.from(Instant.now().minusSeconds(60))); // due

        try (RecordingSink sink = RecordingSink.start()) {
            int port = reservedPort.port();
            Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nmynetworks = 127.0.0.0/8\n"
                    + "queue_directory = " + queue + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\nsmtp_tls_security_level = none\n"
                    + "minimal_backoff_time = 1s\nmaximal_backoff_time = 2s\nqueue_run_delay = 1s\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:" + port + " inet n - n - - smtpd\n"
                    + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
            Server server = Server.start(Server.plan(dir), new ByteArrayOutputStream());
            try {
                RecordingSink.Message m = sink.take(60);
                assertTrue(m != null && m.data().contains("Subject: truncated-4"), "the sound message is delivered");
                // hold/ is not read by the daemon: released, its files come due and are judged like any.
                assertEquals(0, Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true),
                        "-c", dir.toString(), "queue", "release", "ALL"));
                int expected = planted;
                CrashLoopTest.awaitCondition(() -> count(queue.resolve("corrupt")) == expected, Duration.ofSeconds(60),
                        "all " + expected + " planted entries in corrupt/ (now " + count(queue.resolve("corrupt")) + ")");
                assertTrue(CrashLoopTest.queueEmpty(queue), "nothing left in the queues");
                assertNull(sink.take(2), "nothing else was delivered");
                Path maillog = dir.resolve("maillog"); // written by the log's own thread: wait for the lines
                CrashLoopTest.awaitCondition(() -> warnings(maillog) == expected, Duration.ofSeconds(20),
                        "one warning per corrupt file");
                assertEquals(planted, warnings(maillog));
                StringWriter listing = new StringWriter();
                Main.run(new PrintWriter(listing, true), new PrintWriter(new StringWriter(), true), "-c", dir.toString(), "queue");
                assertTrue(listing.toString().startsWith("Mail queue is empty\n"), listing.toString());
                assertTrue(listing.toString().contains("-- " + planted + " corrupt files, never delivered"), listing.toString());
            } finally {
                server.close();
            }
        }
    }

    private static long warnings(Path maillog) {
        try {
            return Files.readString(maillog).lines().filter(l -> l.contains("warning: saving corrupt file \"")).count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    private static long count(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}

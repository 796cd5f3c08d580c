package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty event loops never block: with BlockHound watching (Netty's own integration marks its
 * event-loop threads as non-blocking), a whole submission - connect, EHLO, STARTTLS with a client
 * certificate, MAIL and RCPT through access tables, DATA, commit, QUIT - and the delivery to the
 * next hop must not make a single blocking call (file or socket I/O, sleep, lock wait) on an event
 * loop. Runs in its own JVM (surefire execution "event-loop-blocking", with
 * -XX:+AllowRedefinitionToAddDeleteMethods), because BlockHound instruments the whole JVM.
 */
class EventLoopBlockingTest {
    @TempDir
    Path dir;

    @Test
    void aSubmissionThroughStartTlsAccessTablesAndDataNeverBlocksAnEventLoop() throws Exception {
        List<String> blocked = new CopyOnWriteArrayList<>();
        BlockHound.Builder builder = BlockHound.builder();
        // Beyond BlockHound's list (streams, sockets, sleep, locks): NIO file system calls, so a
        // table stat'ed or a spool file written on an event loop is caught too.
        for (String m : List.of("stat0", "lstat0", "open0")) {
            builder.markAsBlocking("sun.nio.fs.UnixNativeDispatcher", m, m.equals("open0") ? "(JII)I"
                    : "(JLsun/nio/fs/UnixFileAttributes;)V");
        }
        for (String m : List.of("read0", "write0")) {
            builder.markAsBlocking("sun.nio.ch.FileDispatcherImpl", m, "(Ljava/io/FileDescriptor;JI)I");
        }
        for (String m : List.of("pread0", "pwrite0")) {
            builder.markAsBlocking("sun.nio.ch.FileDispatcherImpl", m, "(Ljava/io/FileDescriptor;JIJ)I");
        }
        // Netty's own BlockHound integration may not know 4.2's event-loop threads: name them.
        // DefaultThreadFactory names them pool-poolId-threadId (server: smtpd, smtpd-accept; client: smtp).
        // An event loop's termination notifies listeners through GlobalEventExecutor's task queue:
        // a lock held only for an enqueue, not a wait on I/O (Netty's own integration allows it too).
        builder.allowBlockingCallsInside("io.netty.util.concurrent.GlobalEventExecutor", "addTask");
        builder.nonBlockingThreadPredicate(p -> p.or(t -> t.getName().matches("(smtpd|smtpd-accept|smtp)-\\d+-\\d+")));
        builder
                .blockingMethodCallback(m -> blocked.add(Thread.currentThread().getName() + ": " + m + "\n    "
                        + Arrays.stream(new Exception().getStackTrace()).limit(40).map(String::valueOf)
                        .collect(Collectors.joining("\n    "))))
                .install();
        Path access = dir.resolve("access");
        Files.writeString(access, "spammer@bad.example REJECT\nnobody@nowhere.example REJECT\n");
        Path rcptAccess = dir.resolve("rcpt_access");
        Files.writeString(rcptAccess, "blocked.example REJECT no thanks\n");
        // Metrics on: their hooks run on the event loops too (rejects, TLS results, log records).
        try (TestMta mta = TestMta.start(dir, "smtpd_sender_restrictions = check_sender_access hash:" + access
                + ", check_recipient_access texthash:" + rcptAccess + "\npostern_metrics_listen = 127.0.0.1:0\n", "")) {
            try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
                assertTrue(c.reply().startsWith("220 "));
                assertTrue(c.command("EHLO fred").contains("250-STARTTLS"));
                assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
                c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
                assertTrue(c.command("EHLO fred").startsWith("250-"));
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
                assertTrue(c.command("RCPT TO:<x@blocked.example>").startsWith("554 5.7.1"));
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<someone@somewhere.else.example>"));
                assertTrue(c.command("DATA").startsWith("354 "));
                String queued = c.command("Subject: hi\r\n\r\n" + "line\r\n".repeat(50_000) + ".");
                assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
                assertEquals("221 2.0.0 Bye", c.command("QUIT"));
            }
            assertTrue(mta.sink.take(20) != null, "delivered to the next hop");
            mta.awaitLog("status=sent", java.time.Duration.ofSeconds(20));
        }
        assertTrue(blocked.isEmpty(), blocked.size() + " blocking call(s) on event loops:\n"
                + String.join("\n", blocked.subList(0, Math.min(5, blocked.size()))));
    }
}

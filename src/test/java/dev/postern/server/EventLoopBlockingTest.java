package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.blockhound.BlockHound;
import dev.postern.ca.CaDirectory;
import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.ca.Profile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Netty event loops never block: with BlockHound watching (Netty's own integration marks its
 * event-loop threads as non-blocking), a whole submission - connect, EHLO, STARTTLS with a client
 * certificate judged against a CRL file (postern_smtpd_tls_crl_file), MAIL with its free-space
 * check (queue_minfree: statvfs) and RCPT through access tables, DATA, commit, QUIT - a second
 * session whose revoked certificate is refused, and the delivery to the next hop must not make a
 * single blocking call (file or socket I/O, stat, statvfs, sleep, lock wait) on an event loop. Runs in its own JVM (surefire execution "event-loop-blocking", with
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
        // statvfs: the free-space check at MAIL (Cleanup.space) once called it on the event loop.
        builder.markAsBlocking("sun.nio.fs.UnixNativeDispatcher", "statvfs0", "(JLsun/nio/fs/UnixFileStoreAttributes;)V");
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
        // DefaultThreadFactory names them pool-poolId-threadId (smtpd, smtpd-accept; the smtp client
        // has no event loop: its delivery workers do their socket I/O themselves).
        // An event loop's termination notifies listeners through GlobalEventExecutor's task queue:
        // a lock held only for an enqueue, not a wait on I/O (Netty's own integration allows it too).
        builder.allowBlockingCallsInside("io.netty.util.concurrent.GlobalEventExecutor", "addTask");
        builder.nonBlockingThreadPredicate(p -> p.or(t -> t.getName().matches("(smtpd|smtpd-accept)-\\d+-\\d+")));
        builder
                .blockingMethodCallback(m -> blocked.add(Thread.currentThread().getName() + ": " + m + "\n    "
                        + Arrays.stream(new Exception().getStackTrace()).limit(40).map(String::valueOf)
                        .collect(Collectors.joining("\n    "))))
                .install();
        Path access = dir.resolve("access");
        Files.writeString(access, "spammer@bad.example REJECT\nnobody@nowhere.example REJECT\n");
        Path rcptAccess = dir.resolve("rcpt_access");
        Files.writeString(rcptAccess, "blocked.example REJECT no thanks\n");
        // A CA with a CRL (one revoked client): every handshake consults the CRL file's snapshot.
        Path caDir = dir.resolve("crl-ca");
        CertificateAuthority.init(caDir, "Revoking CA", Duration.ofDays(30));
        CaDirectory ca = CaDirectory.open(caDir);
        ca.issue("localhost", Profile.SERVER, List.of("localhost", "127.0.0.1"), Duration.ofDays(30), null)
                .writePem(dir.resolve("server.pem"), dir.resolve("server-key.pem"));
        IssuedCertificate client = ca.issue("desktop.example.org", Profile.CLIENT, List.of(), Duration.ofDays(30), null);
        IssuedCertificate lost = ca.issue("lost.example.org", Profile.CLIENT, List.of(), Duration.ofDays(30), null);
        ca.revoke(lost.certificate().getSerialNumber(), "keyCompromise");
        Path crl = dir.resolve("crl.der");
        Files.write(crl, ca.crl(Duration.ofDays(5)).getEncoded());
        // Later lines win (main.cf): this CA, its server certificate and its CRL replace the seed's.
        // Metrics on: their hooks run on the event loops too (rejects, TLS results, log records).
        String tls = "smtpd_tls_CAfile = " + caDir.resolve("ca-cert.pem") + "\nsmtpd_tls_cert_file = " + dir.resolve("server.pem")
                + "\nsmtpd_tls_key_file = " + dir.resolve("server-key.pem") + "\npostern_smtpd_tls_crl_file = " + crl + "\n";
        try (TestMta mta = TestMta.start(dir, "smtpd_sender_restrictions = check_sender_access hash:" + access
                + ", check_recipient_access texthash:" + rcptAccess + "\npostern_metrics_listen = 127.0.0.1:0\n" + tls, "")) {
            try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
                assertTrue(c.reply().startsWith("220 "));
                assertTrue(c.command("EHLO fred").contains("250-STARTTLS"));
                assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
                c.startTls(ca.authority().certificate(), lost.certificate(), lost.privateKey());
                String refused = c.command("EHLO fred");
                assertTrue(refused.startsWith("421 4.7.1"), "revoked by the CRL: " + refused);
            }
            try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
                assertTrue(c.reply().startsWith("220 "));
                assertTrue(c.command("EHLO fred").contains("250-STARTTLS"));
                assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
                c.startTls(ca.authority().certificate(), client.certificate(), client.privateKey());
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

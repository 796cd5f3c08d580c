package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's whole setup, both halves Postern, on loopback: the desktop MTA (the seed's client-side
 * main.cf and map files as written, hosts and ports substituted) routes mail from domain-a by
 * sender over verified TLS ({@code secure}), presenting its client certificate, to the seed's
 * submission server (STARTTLS required, the certificate is the permission to relay), which
 * delivers it to its next hop; a sender in a subdomain goes the same way by a {@code .domain} key;
 * everyone else goes to the ISP's smarthost. Checked by what each next hop received and by both
 * mail logs.
 */
class SeedDesktopToSubmissionTest {
    @TempDir
    Path dir;

    private TestMta submission;
    private RecordingSink isp;
    private Server desktop;
    private Path desktopLog;

    @AfterEach
    void stop() throws Exception {
        if (desktop != null) {
            desktop.close();
        }
        if (isp != null) {
            isp.close();
        }
        if (submission != null) {
            submission.close();
        }
    }

    @Test
    void senderRoutedMailCrossesVerifiedTlsWithTheClientCertificateAndIsDelivered() throws Exception {
        submission = TestMta.start(Files.createDirectories(dir.resolve("submission")), "", "");
        int port = submission.submission().getPort();
        isp = RecordingSink.start();
        Path d = Files.createDirectories(dir.resolve("desktop"));
        String hop = "[localhost]:" + port; // the seed's "[mail.example.org]:587", with the certificate's name
        Files.writeString(d.resolve("sender_dependent_relayhost"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:sender_dependent_relayhost < sender_dependent_relayhost",
                "",
                "# sender should be submitted to\t" + hop,
                "@domain-a.example\t" + hop,
                ".domain-a.example\t" + hop, ""));
        Files.writeString(d.resolve("smtp_tls_policy"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:smtp_tls_policy < smtp_tls_policy",
                hop + "\tsecure", ""));
        desktopLog = d.resolve("maillog");
        var pki = submission.pki;
        Files.writeString(d.resolve("main.cf"), SeedClientSide.mainCf("[127.0.0.1]:" + isp.port(),
                d.resolve("sender_dependent_relayhost"), pki, d.resolve("smtp_tls_policy")) + String.join("\n",
                "# Test environment",
                "myhostname = desktop.postern.test",
                "mynetworks = 127.0.0.0/8",
                "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
                "queue_directory = " + d.resolve("queue"),
                "maillog_file = " + desktopLog,
                "minimal_backoff_time = 1s",
                "queue_run_delay = 1s", ""));
        Files.writeString(d.resolve("master.cf"), "127.0.0.1:0      inet  n       -       n       -       -       smtpd\n");
        desktop = Server.start(Server.plan(d), new ByteArrayOutputStream());

        submit("me@domain-a.example", "friend@far.example", "via my own server");
        RecordingSink.Message m = submission.sink.take(30);
        assertNotNull(m, "the submission server's next hop received nothing");
        assertEquals("<me@domain-a.example>", m.mailFrom());
        assertEquals(List.of("<friend@far.example>"), m.rcptTo());
        assertTrue(m.data().contains("Subject: via my own server"), m.data());
        // The seed spells smtpd_tls_receivedheader (warned, no effect), so the evidence is in the log.
        submission.awaitLog("localhost\\[127\\.0\\.0\\.1\\]: subject_CN=desktop\\.example\\.org, issuer=Postern Test CA",
                Duration.ofSeconds(10));
        awaitLog(desktopLog, "Verified TLS connection established to localhost\\[127\\.0\\.0\\.1\\]:" + port + ": TLSv1\\.[23]");
        awaitLog(desktopLog, "to=<friend@far\\.example>, relay=localhost\\[127\\.0\\.0\\.1\\]:" + port
                + ", .*dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as ");
        submission.awaitLog("Trusted TLS connection established from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(10));

        submit("me@x.domain-a.example", "friend@far.example", "from a subdomain");
        RecordingSink.Message sub = submission.sink.take(30);
        assertNotNull(sub, "a subdomain sender goes the same way by the .domain-a.example key");
        assertEquals("<me@x.domain-a.example>", sub.mailFrom());

        submit("me@old.example", "friend@far.example", "everything else");
        RecordingSink.Message other = isp.take(30);
        assertNotNull(other, "other senders go to the ISP's smarthost");
        assertEquals("<me@old.example>", other.mailFrom());
        assertNull(submission.sink.take(1), "nothing else reached the private submission server's next hop");
    }

    /** Submits like a local program: plain SMTP from loopback, which is in the desktop's mynetworks. */
    private void submit(String from, String to, String subject) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(desktop.addresses().get(0))) {
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO desktop").startsWith("250"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + to + ">"));
            assertTrue(c.command("DATA").startsWith("354"));
            String queued = c.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
            assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
            c.command("QUIT");
        }
    }

    private static void awaitLog(Path log, String regex) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            if (p.matcher(text).find()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("mail log never matched /" + regex + "/:\n" + Files.readString(log));
    }
}

package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's server configuration, end to end on loopback: the write-up's manual openssl checks as
 * tests. Loopback is outside mynetworks, so only the certificate authorises relaying.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SeedSubmissionTest {
    @TempDir
    static Path dir;
    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir, "", "");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    private SmtpTestClient tlsClient(TestPki.Client cert) throws Exception {
        SmtpTestClient c = new SmtpTestClient(mta.submission());
        assertTrue(c.reply().startsWith("220 "));
        assertTrue(c.command("EHLO fred").contains("250-STARTTLS"));
        assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
        c.startTls(mta.pki.caCertificate(), cert == null ? null : cert.certificate(), cert == null ? null : cert.key());
        return c;
    }

    @Test
    void seedWarnsAboutItsMisspelledParameter() {
        assertTrue(mta.warnings.stream().anyMatch(w -> w.contains("smtpd_tls_receivedheader")
                && w.contains("smtpd_tls_received_header")), mta.warnings.toString());
    }

    /** The start-up line that says which code does the listener's TLS (EC key: BoringSSL alone). */
    @Test
    void startLogNamesTheTlsLibrary() throws Exception {
        int port = mta.submission().getPort();
        String expected = io.netty.handler.ssl.OpenSsl.isAvailable() ? io.netty.handler.ssl.OpenSsl.versionString() : "JDK";
        mta.awaitLog("postern/master\\[\\d+\\]: TLS on 127\\.0\\.0\\.1:" + port + ": "
                + java.util.regex.Pattern.quote(expected) + "\n", Duration.ofSeconds(5));
    }

    @Test
    void goodCertificateIsAcceptedAndTheMessageDelivered() throws Exception {
        String body = "Subject: just a test\r\n\r\nline one\r\n.leading dot\r\n\r\nlast line\r\n";
        String queued;
        try (SmtpTestClient c = tlsClient(mta.pki.goodClient())) {
            assertTrue(c.command("ehlo fred").startsWith("250-"));
            assertEquals("250 2.1.0 Ok", c.command("mail from:<me@my.domain.example>"));
            assertEquals("250 2.1.5 Ok", c.command("rcpt to:<someone@somewhere.else.example>"));
            assertTrue(c.command("data").startsWith("354 "));
            queued = c.command(body.replace("\r\n.", "\r\n..") + ".");
            assertTrue(queued.matches("250 2\\.0\\.0 Ok: queued as [0-9A-F]+"), queued);
            assertEquals("221 2.0.0 Bye", c.command("quit"));
        }
        String qid = queued.substring(queued.lastIndexOf(' ') + 1);
        RecordingSink.Message m = mta.sink.take(20);
        assertNotNull(m, "the next hop never received the message");
        assertEquals("<me@my.domain.example>", m.mailFrom());
        assertEquals("<someone@somewhere.else.example>", m.rcptTo().get(0));
        assertTrue(m.data().endsWith("\r\n\r\nline one\r\n.leading dot\r\n\r\nlast line\r\n"), "body must arrive intact:\n" + m.data());
        assertTrue(m.data().contains("\r\nSubject: just a test\r\n"), m.data());
        assertTrue(m.data().startsWith("Received: from fred (localhost [127.0.0.1])\r\n"), m.data());
        assertTrue(m.data().contains("with ESMTPS id " + qid), m.data());
        assertTrue(m.data().contains("\r\nMessage-Id: <") && m.data().contains("\r\nDate: "), "submission adds Message-Id and Date");
        // The seed misspells smtpd_tls_received_header, so (as in Postfix) no TLS details are added.
        assertTrue(!m.data().contains("(using TLS"), m.data());
        String log = mta.awaitLog(qid + ": removed", Duration.ofSeconds(20));
        assertTrue(log.contains("Trusted TLS connection established from localhost[127.0.0.1]: TLSv1."), log);
        assertTrue(log.contains(qid + ": client=localhost[127.0.0.1]"), log);
        assertTrue(log.matches("(?s).*" + qid + ": to=<someone@somewhere\\.else\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                + mta.sink.port() + ", delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\\.0\\.0, "
                + "status=sent \\(250 2\\.0\\.0 Ok: queued as SINK\\d+\\).*"), log);
    }

    @Test
    void certificateFromTheBadCaIsRefused() throws Exception {
        assertRefused(mta.pki.badCaClient(), "Client certificate not trusted");
    }

    @Test
    void expiredCertificateIsRefused() throws Exception {
        assertRefused(mta.pki.expiredClient(), "Client certificate not trusted");
    }

    @Test
    void noCertificateIsRefused() throws Exception {
        assertRefused(null, "No client certificate presented");
    }

    private void assertRefused(TestPki.Client cert, String why) throws Exception {
        long before = mta.queuedFiles();
        try (SmtpTestClient c = tlsClient(cert)) {
            assertEquals("421 4.7.1 mx.postern.test Error: " + why, c.command("ehlo fred"));
            assertTrue(c.isClosedByPeer());
        }
        assertEquals(before, mta.queuedFiles());
        mta.awaitLog("NOQUEUE: abort: TLS from localhost\\[127\\.0\\.0\\.1\\]: " + why, Duration.ofSeconds(5));
    }

    @Test
    void plaintextMailNeedsStartTls() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
            c.reply();
            c.command("EHLO fred");
            assertEquals("530 5.7.0 Must issue a STARTTLS command first", c.command("MAIL FROM:<me@my.domain.example>"));
            assertEquals("530 5.7.0 Must issue a STARTTLS command first", c.command("RCPT TO:<x@y.example>"));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
        }
    }

    /** CVE-2011-0411: commands sent with STARTTLS in one write must not run inside TLS. */
    @Test
    void plaintextPipelinedBehindStartTlsIsDiscarded() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
            c.reply();
            c.command("EHLO fred");
            c.sendRaw("STARTTLS\r\nMAIL FROM:<attacker@evil.test>\r\n");
            assertEquals("220 2.0.0 Ready to start TLS", c.reply());
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            assertTrue(c.command("EHLO fred").startsWith("250-"), "the first reply inside TLS answers our EHLO");
            assertEquals("503 5.5.1 Error: need MAIL command", c.command("RCPT TO:<x@y.example>"),
                    "the injected MAIL must not have been carried over");
        }
    }

    /** security-vectors.md §1.2: one 250, the smuggled transaction stays content. */
    @Test
    void smuggledTransactionStaysMessageContent() throws Exception {
        try (SmtpTestClient c = tlsClient(mta.pki.goodClient())) {
            c.command("EHLO fred");
            c.command("MAIL FROM:<alice@example.test>");
            c.command("RCPT TO:<bob@example.test>");
            c.command("DATA");
            c.sendRaw("From: alice@example.test\r\nSubject: one\r\n\r\nbody one\n.\r\n"
                    + "MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                    + "From: ceo@victim.test\r\nSubject: SMUGGLED\r\n\r\nsmuggled body\r\n.\r\n");
            assertTrue(c.reply().startsWith("250 2.0.0 Ok: queued as "));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"), "no further reply may be pending");
        }
        RecordingSink.Message m = mta.sink.take(20);
        assertNotNull(m);
        assertEquals("<alice@example.test>", m.mailFrom());
        assertTrue(m.data().contains("MAIL FROM:<ceo@victim.test>"), m.data());
        assertNull(mta.sink.take(2), "exactly one message");
    }
}

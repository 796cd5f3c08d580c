package dev.postern.smtpd;

import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtpd_discard_ehlo_keywords and smtpd_discard_ehlo_keyword_address_maps over real loopback
 * sessions: the keywords left out of the EHLO reply, and what hiding each one changes, with
 * Postfix's smtpd.c replies; the table's value replacing the list for one client address only.
 */
class DiscardEhloSessionTest {
    @TempDir
    Path dir;
    ExecutorService io;

    @BeforeEach
    void io() {
        io = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    private SmtpdHarness harness(String main) throws Exception {
        return new SmtpdHarness(dir, "smtpd_peername_lookup = no\nsmtputf8_enable = yes\n" + main, io);
    }

    private static List<String> keywords(String ehloReply) {
        return ehloReply.lines().skip(1).map(l -> l.substring(4)).toList();
    }

    private static SmtpTestClient connect(SmtpdHarness h, String from) throws Exception {
        SmtpTestClient c = new SmtpTestClient(h.address(), from == null ? null : InetAddress.getByName(from));
        assertTrue(c.reply().startsWith("220 "));
        return c;
    }

    @Test
    void hiddenDsnIsRefusedInMailAndRcptAsPostfixDoes() throws Exception {
        try (SmtpdHarness h = harness("smtpd_discard_ehlo_keywords = dsn\nmessage_size_limit = 1000\n");
             SmtpTestClient c = connect(h, null)) {
            assertEquals(List.of("PIPELINING", "SIZE 1000", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"),
                    keywords(c.command("EHLO client.example")));
            // smtpd.c mail_cmd()/rcpt_cmd(): refused before the value is looked at
            assertEquals("501 5.7.1 DSN support is disabled", c.command("MAIL FROM:<a@example.org> RET=FULL"));
            assertEquals("501 5.7.1 DSN support is disabled", c.command("MAIL FROM:<a@example.org> ENVID=nonsense+zz"));
            // SIZE and BODY are still honoured (Postfix does not look at the mask there)
            assertEquals("552 5.3.4 Message size exceeds fixed limit", c.command("MAIL FROM:<a@example.org> SIZE=5000"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME"));
            assertEquals("501 5.7.1 DSN support is disabled", c.command("RCPT TO:<b@example.org> NOTIFY=NEVER"));
            assertEquals("501 5.7.1 DSN support is disabled", c.command("RCPT TO:<b@example.org> ORCPT=rfc822;b@example.org"));
            assertEquals("555 5.5.4 Unsupported option: FOO=1", c.command("RCPT TO:<b@example.org> FOO=1"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<b@example.org>"));
            c.command("QUIT");
        }
    }

    @Test
    void theDiscardIsLoggedAtEachEhloUnlessSilent() throws Exception {
        try (SmtpdHarness h = harness("smtpd_discard_ehlo_keywords = DSN, 8bitmime, nonsense\n");
             SmtpTestClient c = connect(h, null)) {
            c.command("EHLO a.example");
            c.command("HELO a.example");
            c.command("EHLO a.example");
            c.command("QUIT");
            h.awaitLog("disconnect from");
            assertEquals(2, h.log().lines().filter(l -> l.endsWith(": discarding EHLO keywords: 8BITMIME DSN")).count(), h.log());
        }
        Files.createDirectories(dir.resolve("silent"));
        try (SmtpdHarness h = new SmtpdHarness(dir.resolve("silent"), "smtpd_peername_lookup = no\n"
                + "smtpd_discard_ehlo_keywords = dsn silent-discard\n", io);
             SmtpTestClient c = connect(h, null)) {
            assertFalse(keywords(c.command("EHLO a.example")).contains("DSN"));
            c.command("QUIT");
            h.awaitLog("disconnect from");
            assertFalse(h.log().contains("discarding"), h.log());
        }
    }

    @Test
    void hiddenEnhancedStatusCodesHideTheKeywordOnlyAsInPostfix() throws Exception {
        // Postfix's smtpd_chat_reply() does not strip the codes: a client that was not told of them
        // reads them as text, which RFC 2034 permits.
        try (SmtpdHarness h = harness("smtpd_discard_ehlo_keywords = enhancedstatuscodes\n");
             SmtpTestClient c = connect(h, null)) {
            assertFalse(keywords(c.command("EHLO a.example")).contains("ENHANCEDSTATUSCODES"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@example.org>"));
        }
    }

    @Test
    void hiddenSmtputf8MakesTheOptionUnsupported() throws Exception {
        try (SmtpdHarness h = harness("smtpd_discard_ehlo_keywords = smtputf8\n");
             SmtpTestClient c = connect(h, null)) {
            assertFalse(keywords(c.command("EHLO a.example")).contains("SMTPUTF8"));
            assertEquals("555 5.5.4 Unsupported option: SMTPUTF8", c.command("MAIL FROM:<a@example.org> SMTPUTF8"));
            assertEquals("553 5.6.7 Must declare SMTPUTF8 to send unicode address", c.command(utf8("MAIL FROM:<j\u00f6rg@example.org>")));
        }
    }

    /** The client sends a line's chars as bytes (ISO-8859-1): these are the line's UTF-8 bytes. */
    private static String utf8(String line) {
        return new String(line.getBytes(java.nio.charset.StandardCharsets.UTF_8), java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    @Test
    void hiddenAuthIsNotEnabled() throws Exception {
        try (SmtpdHarness h = harness("postern_smtpd_auth_external = yes\nsmtpd_discard_ehlo_keywords = auth\n");
             SmtpTestClient c = connect(h, null)) {
            c.command("EHLO a.example");
            // smtpd_sasl_proto.c: not "538 5.7.11 Encryption required", as it would be without the discard
            assertEquals("503 5.5.1 Error: authentication not enabled", c.command("AUTH EXTERNAL ="));
        }
    }

    @Test
    void hiddenStartTlsIsNotImplementedAndTheTableGivesItBackToOneClient() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path table = dir.resolve("ehlo.cidr");
        // The value replaces the list: 127.0.0.2 gets STARTTLS back and loses DSN instead.
        Files.writeString(table, "# cidr\n127.0.0.2/32 dsn\n");
        try (SmtpdHarness h = harness("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = " + pki.serverCertFile()
                + "\nsmtpd_tls_key_file = " + pki.serverKeyFile() + "\nsmtpd_discard_ehlo_keywords = starttls pipelining\n"
                + "smtpd_discard_ehlo_keyword_address_maps = cidr:" + table + "\n")) {
            try (SmtpTestClient c = connect(h, "127.0.0.1")) {
                assertEquals(List.of("SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"),
                        keywords(c.command("EHLO a.example")));
                assertEquals("502 5.5.1 Error: command not implemented", c.command("STARTTLS"));
                assertEquals("250 2.0.0 Ok", c.command("NOOP"), "still in plaintext");
            }
            try (SmtpTestClient c = connect(h, "127.0.0.2")) {
                assertEquals(List.of("PIPELINING", "SIZE 10240000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"),
                        keywords(c.command("EHLO b.example")));
                assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
                c.startTls(pki.caCertificate(), null, null);
                assertEquals(List.of("PIPELINING", "SIZE 10240000", "ENHANCEDSTATUSCODES", "8BITMIME", "SMTPUTF8"),
                        keywords(c.command("EHLO b.example")));
                assertEquals("501 5.7.1 DSN support is disabled", c.command("MAIL FROM:<a@example.org> RET=HDRS"));
            }
        }
    }

    @Test
    void aHashTableIsLookedUpByTheWholeAddress() throws Exception {
        Path table = dir.resolve("ehlo");
        Files.writeString(table, "127.0.0.3 pipelining silent-discard\n127.0.0 dsn\n");
        try (SmtpdHarness h = harness("smtpd_discard_ehlo_keyword_address_maps = hash:" + table + "\n")) {
            try (SmtpTestClient c = connect(h, "127.0.0.3")) {
                assertFalse(keywords(c.command("EHLO a.example")).contains("PIPELINING"));
            }
            try (SmtpTestClient c = connect(h, "127.0.0.1")) {
                List<String> k = keywords(c.command("EHLO a.example"));
                assertTrue(k.contains("PIPELINING") && k.contains("DSN"), "no prefix search as in access tables: " + k);
            }
        }
    }

    @Test
    void aTableThatCannotAnswerEndsEhloWithPostfixs421() throws Exception {
        Path missing = dir.resolve("not-yet");
        try (SmtpdHarness h = harness("smtpd_discard_ehlo_keywords = dsn\n"
                + "smtpd_discard_ehlo_keyword_address_maps = texthash:" + missing + "\n");
             SmtpTestClient c = connect(h, null)) {
            // HELO does not ask (Postfix checks the table's error in ehlo_cmd() only); the list applies
            assertEquals("250 mx.postern.test", c.command("HELO a.example"));
            assertEquals("501 5.7.1 DSN support is disabled", c.command("MAIL FROM:<a@example.org> RET=FULL"));
            assertEquals("421 4.3.0 mx.postern.test Server local data error", c.command("EHLO a.example"));
            assertNull(c.reply(), "the session ends");
            h.awaitLog("disconnect from unknown[127.0.0.1] helo=1 ehlo=0/1 mail=0/1 commands=1/3");
            String log = h.log();
            assertTrue(log.contains("warning: smtpd_discard_ehlo_keyword_address_maps lookup failure: "), log);
            assertTrue(log.contains("warning: don't know what EHLO features to announce to unknown[127.0.0.1]"), log);
            assertTrue(log.contains("NOQUEUE: reject: EHLO from unknown[127.0.0.1]: 421 4.3.0 mx.postern.test Server local"
                    + " data error"), log);
        }
    }
}

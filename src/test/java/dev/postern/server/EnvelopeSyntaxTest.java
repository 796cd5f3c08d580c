package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What Postfix 3.12's smtpd accepts in MAIL FROM / RCPT TO and around them, and how it refuses the
 * rest (smtpd.c mail_cmd(), rcpt_cmd(), extract_addr(), smtpd_proto()): MAIL before HELO unless
 * smtpd_helo_required, addresses without angle brackets unless strict_rfc821_envelopes, SIZE's
 * syntax, over-long commands and malformed UTF-8.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EnvelopeSyntaxTest {
    private static final Duration LOG_WAIT = Duration.ofSeconds(10);
    @TempDir
    static Path dir;
    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir, "message_size_limit = 100000\nrelay_domains = relay.example\nsmtputf8_enable = yes\n",
                "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n"
                        + "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_helo_required=yes\n"
                        + "  -o strict_rfc821_envelopes=yes\n"
                        + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    private InetSocketAddress postfixDefaults() {
        return mta.server.addresses().get(1);
    }

    private InetSocketAddress strict() {
        return mta.server.addresses().get(2);
    }

    @Test
    void mailWithoutHeloAndBareAddressesAreAcceptedAndDelivered() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:bare-sender@relay.example"), "no HELO, no brackets");
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO: bare-rcpt@relay.example NOTIFY=NEVER"), "space after the colon");
            assertTrue(c.command("DATA").startsWith("354 "));
            assertTrue(c.command("Subject: no helo\r\n\r\nbody\r\n.").startsWith("250 2.0.0 Ok: queued as "));
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
        }
        RecordingSink.Message m = mta.sink.take(20);
        assertNotNull(m, "the message reached the next hop");
        assertTrue(m.mailFrom().contains("<bare-sender@relay.example>"), m.mailFrom());
        assertEquals(1, m.rcptTo().size());
        assertTrue(m.rcptTo().get(0).startsWith("<bare-rcpt@relay.example>"), m.rcptTo().toString());
        // smtpd.c: "Received: from helo_name-or-client_name (...)", "with SMTP" before any EHLO
        assertTrue(m.data().contains("Received: from localhost (localhost [127.0.0.1])"), m.data());
        assertTrue(m.data().contains(" with SMTP id "), m.data());
        mta.awaitLog("from=<bare-sender@relay\\.example>, size=", LOG_WAIT);
    }

    @Test
    void strictServiceWantsHeloAndAngleBrackets() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(strict())) {
            c.reply();
            assertEquals("503 5.5.1 Error: send HELO/EHLO first", c.command("MAIL FROM:<s@relay.example>"));
            c.command("EHLO client.example");
            assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:strict-sender@relay.example"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<strict-sender@relay.example>"));
            assertEquals("501 5.1.3 Bad recipient address syntax", c.command("RCPT TO:strict-rcpt@relay.example"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<strict-rcpt@relay.example>"));
        }
        mta.awaitLog("warning: Illegal address syntax from localhost\\[127\\.0\\.0\\.1\\] in MAIL command: strict-sender@relay\\.example\n",
                LOG_WAIT);
        mta.awaitLog("warning: Illegal address syntax from localhost\\[127\\.0\\.0\\.1\\] in RCPT command: strict-rcpt@relay\\.example\n",
                LOG_WAIT);
    }

    @Test
    void sizeParameterSyntaxAndLimit() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO size.example");
            for (String bad : new String[] {"SIZE=-1", "SIZE=+5", "SIZE=", "SIZE=1k", "SIZE= 5"}) {
                assertEquals("501 5.5.4 Bad message size syntax", c.command("MAIL FROM:<z@relay.example> " + bad), bad);
            }
            assertEquals("552 5.3.4 Message size exceeds file system imposed limit",
                    c.command("MAIL FROM:<z@relay.example> SIZE=99999999999999999999"));
            assertEquals("552 5.3.4 Message size exceeds fixed limit", c.command("MAIL FROM:<size-sender@relay.example> SIZE=100001"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<size-sender@relay.example> SIZE=100000"));
        }
        // smtpd_check_size(): the limit's reject is logged with the sender, as every restriction's
        mta.awaitLog("NOQUEUE: reject: MAIL from localhost\\[127\\.0\\.0\\.1\\]: 552 5\\.3\\.4 Message size exceeds fixed limit;"
                + " from=<size-sender@relay\\.example> proto=ESMTP helo=<size\\.example>\n", LOG_WAIT);
    }

    @Test
    void overLongCommandIsRefusedAndLogged() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO long.example");
            assertEquals("500 5.5.2 mx.postern.test Error: command too long", c.command("NOOP " + "\u0001y".repeat(3000)));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"), "the rest of the long line was skipped: in sync");
        }
        mta.awaitLog("warning: localhost\\[127\\.0\\.0\\.1\\]: request longer than 2048: NOOP (\\?y){12}\\?\\.\\.\\.\n", LOG_WAIT);
    }

    /** Only with smtputf8_enable, as in Postfix (the seed's main.cf has no compatibility_level: off there). */
    @Test
    void malformedUtf8IsRefused() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO utf8.example");
            assertEquals("500 5.5.2 Error: bad UTF-8 syntax", c.command("NOOP \u00ff\u00fe"));
            assertEquals("500 5.5.2 Error: bad UTF-8 syntax", c.command("MAIL FROM:<b\u00e9@relay.example> SMTPUTF8"),
                    "Latin-1, not UTF-8");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<b\u00c3\u00a9@relay.example> SMTPUTF8"), "é in UTF-8");
        }
    }
}

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

    /** smtpd.c helo_cmd(): collapse_args() joins the words with one space, printable() and neuter() mask. */
    @Test
    void heloNameIsKeptAsPostfixKeepsIt() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            assertTrue(c.command("EHLO  two.example \t words\u0001here ").startsWith("250-mx.postern.test"));
            assertEquals("552 5.3.4 Message size exceeds fixed limit", c.command("MAIL FROM:<helo-name@relay.example> SIZE=100001"));
        }
        mta.awaitLog("from=<helo-name@relay\\.example> proto=ESMTP helo=<two\\.example\\?words\\?here>\n", LOG_WAIT);
    }

    @Test
    void overLongCommandIsRefusedAndLogged() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO long.example");
            assertEquals("500 5.5.2 mx.postern.test Error: command too long", c.command("NOOP " + "\u0001y".repeat(1500)));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"), "the rest of the long line was skipped: in sync");
        }
        mta.awaitLog("warning: localhost\\[127\\.0\\.0\\.1\\]: request longer than 2048: NOOP (\\?y){12}\\?\\.\\.\\.\n", LOG_WAIT);
    }

    /** smtp_stream.c smtp_get(): a line that goes on for twice the limit ends the input. */
    @Test
    void aLineOfTwiceTheLimitEndsTheSession() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO endless.example");
            c.sendRaw("VRFY " + "z".repeat(5000));
            assertEquals("500 5.5.2 mx.postern.test Error: command too long", c.reply(), "before the line even ends");
            assertTrue(c.isClosedByPeer());
        }
        mta.awaitLog("warning: disabling input from localhost\\[127\\.0\\.0\\.1\\]\n"
                + ".*warning: localhost\\[127\\.0\\.0\\.1\\]: request longer than 2048: VRFY z{25}\\.\\.\\.\n"
                + ".*lost connection after EHLO from localhost\\[127\\.0\\.0\\.1\\]\n", LOG_WAIT);
    }

    /** smtpd.c mail_cmd(), rcpt_cmd(): the address is judged before the parameters. */
    @Test
    void addressBeforeParametersAndRepeatsAfterABareAddress() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(strict())) {
            c.reply();
            c.command("EHLO order.example");
            assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:order@relay.example FOO=1"));
            assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:<unclosed@relay.example SIZE=1"),
                    "an unclosed '<' is a bad address");
            assertEquals("555 5.5.4 Unsupported option: Foo=1", c.command("MAIL FROM:<order@relay.example> Foo=1"), "as written");
            assertEquals("555 5.5.4 Unsupported option: SIZE", c.command("MAIL FROM:<order@relay.example> SIZE"), "no '='");
        }
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO repeat.example");
            assertEquals("501 5.5.4 Bad RET parameter syntax", c.command("MAIL FROM:repeat@relay.example RET=FULL RET=HDRS"));
            assertEquals("501 5.5.4 Bad message size syntax", c.command("MAIL FROM:repeat@relay.example SIZE=abc SIZE=1"));
            assertEquals("503 5.5.4 Error: multiple AUTH= options", c.command("MAIL FROM:<a@relay.example> AUTH=<> AUTH=<>"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:repeat@relay.example\tSIZE=1 AUTH=<>"),
                    "a tab ends the address; AUTH= is taken without AUTH, as by Postfix built with SASL");
            assertEquals("501 5.5.4 Error: Bad NOTIFY parameter syntax",
                    c.command("RCPT TO:x@relay.example NOTIFY=NEVER NOTIFY=NEVER"));
        }
        mta.awaitLog("Illegal address syntax from localhost\\[127\\.0\\.0\\.1\\] in MAIL command: order@relay\\.example\n", LOG_WAIT);
        String log = mta.awaitLog("disconnect from localhost\\[127\\.0\\.0\\.1\\] ehlo=1 mail=0/4 ", LOG_WAIT); // the strict session's end
        assertTrue(!log.contains("in MAIL command: <unclosed"), "smtpd.c answers SMTPD_TOK_ERROR without the warning");
    }

    /**
     * smtpd.c starttls_cmd(): helo_reset() forgets the HELO name, not the protocol, so a client that
     * sends MAIL right after the handshake is still an ESMTP client (and may pipeline).
     */
    @Test
    void mailRightAfterStartTlsIsStillEsmtp() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            c.command("EHLO tls.example");
            assertTrue(c.command("STARTTLS").startsWith("220 "));
            c.startTls(mta.pki.caCertificate(), null, null);
            c.sendRaw("MAIL FROM:<after-tls@relay.example>\r\nRCPT TO:<x@relay.example>\r\n");
            assertEquals("250 2.1.0 Ok", c.reply());
            assertEquals("250 2.1.5 Ok", c.reply());
            assertEquals("250 2.0.0 Ok", c.command("RSET"));
            assertEquals("552 5.3.4 Message size exceeds fixed limit", c.command("MAIL FROM:<after-tls@relay.example> SIZE=100001"));
        }
        mta.awaitLog("from=<after-tls@relay\\.example> proto=ESMTP\n", LOG_WAIT);
    }

    /**
     * smtpd.c smtpd_proto(): a client that did not send EHLO was not offered PIPELINING, so any
     * command with input waiting behind it ends the session (smtpd_forbid_unauth_pipelining), and
     * the log shows what was waiting, escaped.
     */
    @Test
    void pipeliningWithoutEhloIsRefusedAndLogged() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            assertEquals("250 mx.postern.test", c.command("HELO old.example"));
            c.sendRaw("MAIL FROM:<pipe@relay.example>\r\nRCPT TO:<x@relay.example>\r\n\u0001");
            assertEquals("554 5.5.0 Error: SMTP protocol synchronization", c.reply());
            assertTrue(c.isClosedByPeer());
        }
        mta.awaitLog("improper command pipelining after MAIL from localhost\\[127\\.0\\.0\\.1\\]: "
                + "RCPT TO:<x@relay\\.example>\\\\r\\\\n\\\\001\n", LOG_WAIT);
        try (SmtpTestClient c = new SmtpTestClient(postfixDefaults())) {
            c.reply();
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<one-at-a-time@relay.example>"), "no HELO, no pipelining: fine");
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<x@relay.example>"));
        }
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

package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * anvil's rate limits as Postfix applies them, one listener per limit (anvil counts per service
 * and client address): replies, warnings, and smtpd_client_event_limit_exceptions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitTest {
    @TempDir
    static Path dir;
    TestMta mta;

    private static String service(String limit) {
        return "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o smtpd_tls_security_level=may -o smtpd_tls_req_ccert=no\n"
                + "  -o smtpd_relay_restrictions= -o smtpd_recipient_restrictions=reject_unauth_destination\n"
                + "  -o " + limit + "\n";
    }

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir, "relay_domains = relay.example\n",
                service("smtpd_client_connection_rate_limit=2")
                        + service("smtpd_client_message_rate_limit=2")
                        + service("smtpd_client_recipient_rate_limit=2")
                        + service("smtpd_client_new_tls_session_rate_limit=1")
                        + service("smtpd_client_connection_rate_limit=1") + "  -o smtpd_client_event_limit_exceptions=127.0.0.0/8\n"
                        + service("smtpd_client_connection_rate_limit=1") + "  -o smtpd_tls_wrappermode=yes\n");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    private InetSocketAddress listener(int i) {
        return mta.server.addresses().get(i);
    }

    @Test
    void connectionRate() throws Exception {
        for (int i = 0; i < 2; i++) {
            try (SmtpTestClient c = new SmtpTestClient(listener(1))) {
                assertTrue(c.reply().startsWith("220 "));
            }
        }
        try (SmtpTestClient c = new SmtpTestClient(listener(1))) {
            assertEquals("421 4.7.0 mx.postern.test Error: too many connections from 127.0.0.1", c.reply());
        }
        assertTrue(log().matches("(?s).*warning: Connection rate limit exceeded: 3 from localhost\\[127\\.0\\.0\\.1\\] for service smtpd.*"),
                log());
    }

    @Test
    void messageRate() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(listener(2))) {
            c.reply();
            c.command("EHLO client.example");
            for (int i = 0; i < 2; i++) {
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@client.example>"));
                assertEquals("250 2.0.0 Ok", c.command("RSET"));
            }
            assertEquals("450 4.7.1 Error: too much mail from 127.0.0.1", c.command("MAIL FROM:<a@client.example>"));
        }
        assertTrue(log().contains("warning: Message delivery request rate limit exceeded: 3 from localhost[127.0.0.1]"), log());
    }

    @Test
    void recipientRate() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(listener(3))) {
            c.reply();
            c.command("EHLO client.example");
            c.command("MAIL FROM:<a@client.example>");
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<x@relay.example>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<y@relay.example>"));
            assertEquals("450 4.7.1 Error: too many recipients from 127.0.0.1", c.command("RCPT TO:<z@relay.example>"));
        }
        assertTrue(log().contains("warning: Recipient address rate limit exceeded: 3 from localhost[127.0.0.1]"), log());
    }

    /**
     * smtpd_client_new_tls_session_rate_limit = 1: the second new session is counted after its
     * handshake and refused inside TLS (421); after that STARTTLS itself is refused (454) and the
     * session goes on in plaintext, as Postfix does.
     */
    @Test
    void newTlsSessionRate() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(listener(4))) {
            c.reply();
            c.command("EHLO client.example");
            assertTrue(c.command("STARTTLS").startsWith("220 "));
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            assertTrue(c.command("EHLO client.example").startsWith("250"));
        }
        try (SmtpTestClient c = new SmtpTestClient(listener(4))) {
            c.reply();
            c.command("EHLO client.example");
            assertTrue(c.command("STARTTLS").startsWith("220 "));
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            assertEquals("421 4.7.0 mx.postern.test Error: too many new TLS sessions from localhost[127.0.0.1]", c.reply());
        }
        assertTrue(log().contains("warning: New TLS session rate limit exceeded: 2 from localhost[127.0.0.1]"), log());
        try (SmtpTestClient c = new SmtpTestClient(listener(4))) {
            c.reply();
            c.command("EHLO client.example");
            assertEquals("454 4.7.0 Error: too many new TLS sessions from localhost[127.0.0.1]", c.command("STARTTLS"));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"), "the session goes on in plaintext");
        }
        assertTrue(log().contains("warning: Refusing STARTTLS request from localhost[127.0.0.1] for service smtpd"), log());
    }

    @Test
    void exceptionsAreNotLimited() throws Exception {
        for (int i = 0; i < 4; i++) {
            try (SmtpTestClient c = new SmtpTestClient(listener(5))) {
                assertTrue(c.reply().startsWith("220 "), "exempt client, connection " + i);
            }
        }
    }

    private String log() throws Exception {
        Thread.sleep(100);
        return Files.readString(mta.mailLog);
    }

    /** On an implicit-TLS port the refusal is said inside TLS, never as plaintext into a handshake. */
    @Test
    void implicitTlsRefusalIsSaidInsideTls() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(listener(6))) {
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            assertTrue(c.reply().startsWith("220 "));
        }
        try (SmtpTestClient c = new SmtpTestClient(listener(6))) {
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            assertEquals("421 4.7.0 mx.postern.test Error: too many connections from 127.0.0.1", c.reply());
        }
    }
}

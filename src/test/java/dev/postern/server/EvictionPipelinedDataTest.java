package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A session in DATA is never evicted, even when its DATA came from the pending queue (pipelined behind a commit). */
class EvictionPipelinedDataTest {
    @TempDir
    Path dir;

    @Test
    void aSessionInDataIsNeverEvicted() throws Exception {
        String master = "127.0.0.1:0 inet n - n - 1 smtpd\n"
                + "  -o smtpd_tls_security_level=may\n"
                + "  -o smtpd_tls_req_ccert=no\n"
                + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n";
        try (TestMta mta = TestMta.start(dir, "relay_domains = relay.example\n", master)) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            try (SmtpTestClient a = new SmtpTestClient(limited); SmtpTestClient late = new SmtpTestClient(limited)) {
                assertTrue(a.reply().startsWith("220 "));
                assertTrue(late.reply().startsWith("220 "));
                assertTrue(a.command("EHLO a.example").startsWith("250"));
                assertTrue(a.command("MAIL FROM:<a@a.example>").startsWith("250"));
                assertTrue(a.command("RCPT TO:<x@relay.example>").startsWith("250"));
                assertTrue(a.command("DATA").startsWith("354"));
                // End of message 1 pipelined with the next transaction (the commit pauses the session,
                // so MAIL, RCPT and DATA wait in `pending`).
                a.sendRaw("Subject: one\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<y@relay.example>\r\nDATA\r\n");
                assertTrue(a.reply().startsWith("250 2.0.0 Ok: queued"));
                assertTrue(a.reply().startsWith("250"));
                assertTrue(a.reply().startsWith("250"));
                assertTrue(a.reply().startsWith("354")); // a is in DATA now, slot still "idle" since the RCPT reply
                late.sendRaw("EHLO late.example\r\n");
                late.setSoTimeout(3_000);
                // Correct: late waits (the only place is held by a session in DATA). Bug: after 1 s a is evicted.
                assertThrows(SocketTimeoutException.class, late::reply,
                        "late was answered: the session in DATA was evicted");
            }
        }
    }
}

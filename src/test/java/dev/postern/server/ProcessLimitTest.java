package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * master.cf maxproc as Postfix's process limit for an smtpd service (issue 9 §1): past it new
 * clients wait in the listen backlog (not refused), Postfix's warning is logged, a freed slot
 * serves the waiting client at once, and other services are not affected.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProcessLimitTest {
    @TempDir
    static Path dir;

    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir, "",
                "127.0.0.1:0 inet n - n - 2 smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n"
                        + "  -o postern_smtpd_idle_eviction_time=0\n"); // Postfix's behaviour (EvictionTest: Postern's)
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    @Test
    void clientsPastTheLimitWaitInTheBacklogUntilASessionEnds() throws Exception {
        InetSocketAddress limited = mta.server.addresses().get(1); // 0 is the seed's submission service
        try (SmtpTestClient first = new SmtpTestClient(limited); SmtpTestClient second = new SmtpTestClient(limited)) {
            assertTrue(first.reply().startsWith("220 "));
            assertTrue(second.reply().startsWith("220 "));
            try (Socket waiting = new Socket()) {
                waiting.connect(limited, 5_000); // accepted by the kernel: the backlog, not a refusal
                waiting.setSoTimeout(1_500);
                assertThrows(SocketTimeoutException.class, () -> waiting.getInputStream().read(),
                        "a third session was served past maxproc 2");
                mta.awaitLog("warning: service \"127\\.0\\.0\\.1:0\" \\(127\\.0\\.0\\.1:0\\) has reached its process limit \"2\": "
                        + "new clients may experience noticeable delays", Duration.ofSeconds(5));

                // Another service has its own limit.
                try (SmtpTestClient other = new SmtpTestClient(mta.server.addresses().get(0))) {
                    assertTrue(other.reply().startsWith("220 "));
                }

                assertEquals("221 2.0.0 Bye", first.command("QUIT"));
                waiting.setSoTimeout(5_000);
                byte[] greeting = new byte[4];
                int n = waiting.getInputStream().readNBytes(greeting, 0, 4);
                assertEquals("220 ", new String(greeting, 0, n, java.nio.charset.StandardCharsets.US_ASCII),
                        "the waiting client is served once a slot is free");
            }
        }
    }
}

package dev.postern.server;

import dev.postern.testing.ReservedPort;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A next hop that is down: the message stays queued (deferred, logged) and goes out once it is up. */
class RetryTest {
    @TempDir
    Path dir;

    @Test
    void nextHopDownThenUp() throws Exception {
        try (ReservedPort down = ReservedPort.reserve();
             TestMta mta = TestMta.start(dir, "relayhost = [127.0.0.1]:" + down.port() + "\nmaximal_backoff_time = 2s\n", "")) {
            int hopPort = down.port();
            String qid;
            try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
                c.reply();
                c.command("EHLO fred");
                c.command("STARTTLS");
                c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
                c.command("EHLO fred");
                c.command("MAIL FROM:<me@my.domain.example>");
                c.command("RCPT TO:<someone@somewhere.else.example>");
                c.command("DATA");
                String r = c.command("Subject: retry\r\n\r\nretry-marker\r\n.");
                qid = r.substring(r.lastIndexOf(' ') + 1);
            }
            mta.awaitLog(qid + ": to=<someone@somewhere\\.else\\.example>, relay=none, delay=[0-9.]+, delays=[0-9./]+, dsn=4\\.4\\.1, "
                    + "status=deferred \\(connect to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + hopPort + ": Connection refused\\)",
                    Duration.ofSeconds(20));
            assertTrue(mta.queuedFiles() >= 1, "still queued");
            try (RecordingSink hop = RecordingSink.start(hopPort)) {
                RecordingSink.Message m = hop.take(30);
                assertNotNull(m, "delivered after the next hop came back");
                assertTrue(m.data().contains("retry-marker"));
                mta.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            }
        }
    }
}

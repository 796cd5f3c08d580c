package dev.postern.server;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A service that requires TLS (the seed's submission service) gets smtpd_per_request_deadline
 * behaviour by default (issue 9 §1): a client trickling its first command one byte at a time is
 * cut off smtpd_timeout after the greeting, however often it sends a byte. A service where the
 * parameter is set to no keeps Postfix's per-read timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsServiceDeadlineTest {
    @TempDir
    static Path dir;

    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir, "smtpd_timeout = 2s\n",
                "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_enforce_tls=yes\n"
                        + "  -o smtpd_per_request_deadline=no\n"
                        + "  -o smtpd_recipient_restrictions=permit_tls_all_clientcerts,reject\n");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    /** Sends 15 bytes of an EHLO one every 400 ms (6 s, 3 × smtpd_timeout); returns ms until the server closed, or -1. */
    private static long trickle(InetSocketAddress a) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(a, 5000);
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] greeting = new byte[4];
            assertTrue(in.readNBytes(greeting, 0, 4) == 4);
            long start = System.nanoTime();
            for (byte b : "EHLO trickling.".getBytes(StandardCharsets.US_ASCII)) {
                try {
                    out.write(b);
                    out.flush();
                } catch (java.net.SocketException e) {
                    return (System.nanoTime() - start) / 1_000_000;
                }
                Thread.sleep(400);
                if (in.available() > 0) { // the rest of the greeting, then 421 and the close
                    byte[] buf = new byte[512];
                    int n = in.read(buf);
                    String text = new String(buf, 0, Math.max(0, n), StandardCharsets.US_ASCII);
                    if (text.contains("421 ")) {
                        return (System.nanoTime() - start) / 1_000_000;
                    }
                }
            }
            return -1;
        }
    }

    @Test
    void aTlsRequiredServiceCutsOffATricklingClient() throws Exception {
        long ms = trickle(mta.submission()); // the seed's service: smtpd_enforce_tls=yes, deadline not set
        assertTrue(ms >= 0, "a client trickling one byte per 400 ms kept the session for 6 s (smtpd_timeout = 2s)");
        assertTrue(ms < 6_000, "cut off only after " + ms + " ms");
        mta.awaitLog("timeout after CONNECT from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
    }

    @Test
    void settingItToNoKeepsThePerReadTimeout() throws Exception {
        assertTrue(trickle(mta.server.addresses().get(1)) < 0, "smtpd_per_request_deadline = no must keep Postfix's per-read timeout");
    }
}

package dev.postern.smtpd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtpd.c's "lost connection after WHERE": a client that leaves without QUIT after its message was
 * answered lost nothing, and Postfix logs nothing then (END-OF-MESSAGE), so pflogsumm counts no
 * broken transfer; one that leaves in the middle of DATA is logged with the bytes received.
 */
class LostConnectionLogTest {
    @TempDir
    Path dir;

    /** One message; then the socket is closed without QUIT, after the 250 when {@code finish}, else in the content. */
    private static void leave(SmtpdHarness h, boolean finish) throws Exception {
        try (Socket s = new Socket(h.address().getAddress(), h.address().getPort())) {
            s.setSoTimeout(15_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("220 "));
            for (String cmd : new String[] {"HELO client.example", "MAIL FROM:<a@client.example>", "RCPT TO:<b@example.org>"}) {
                out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                assertTrue(in.readLine().startsWith("250 "));
            }
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("354 "));
            out.write("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
            if (finish) {
                out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                String queued = in.readLine();
                assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
            }
            out.flush();
        }
    }

    @Test
    void leavingAfterTheMessageIsNoLostConnection() throws Exception {
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (SmtpdHarness h = new SmtpdHarness(dir, "smtpd_peername_lookup = no\n", io)) {
            leave(h, true);
            h.awaitLog("disconnect from unknown[127.0.0.1] helo=1 mail=1 rcpt=1 data=1 commands=4");
            assertFalse(h.log().contains("lost connection"), h.log());
            leave(h, false);
            h.awaitLog("lost connection after DATA (");
        } finally {
            io.shutdownNow();
        }
    }
}

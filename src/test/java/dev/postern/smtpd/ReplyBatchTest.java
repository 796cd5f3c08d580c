package dev.postern.smtpd;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replies to a pipelined group (RFC 2920) leave in one write, as Postfix's smtpd sends them:
 * counted as data segments the client's real socket received (the kernel's TCP_INFO, read with
 * {@code ss}; the server sets TCP_NODELAY, so before this change each reply was its own segment).
 * A command sent alone still gets its reply at once (the test would hang otherwise).
 */
class ReplyBatchTest {
    private static final Pattern DATA_SEGS_IN = Pattern.compile("data_segs_in:(\\d+)");

    @TempDir
    Path dir;

    @Test
    void pipelinedGroupsAreAnsweredInOneWrite() throws Exception {
        Peers.require("ss", "iproute2");
        try (SmtpdHarness h = new SmtpdHarness(dir, "smtpd_peername_lookup = no\n",
                java.util.concurrent.Executors.newFixedThreadPool(2));
             Socket s = new Socket(h.address().getAddress(), h.address().getPort())) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("220 "));
            out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
            String l;
            while ((l = in.readLine()).startsWith("250-")) {
                assertTrue(l.length() > 4);
            }
            int port = s.getLocalPort();

            long before = segmentsIn(port);
            out.write("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(List.of("250", "250", "354"), codes(in, 3));
            assertEquals(1, segmentsIn(port) - before, "MAIL, RCPT, DATA replies in one segment");

            // The end of data and a pipelined next transaction: the 250 after the commit (an
            // asynchronous step) and the replies to the commands it released, in one write too.
            before = segmentsIn(port);
            out.write(("Subject: t\r\n\r\nbody\r\n.\r\n"
                    + "MAIL FROM:<a@example.org>\r\nRCPT TO:<c@example.net>\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
            assertEquals(List.of("250", "250", "250", "354"), codes(in, 4));
            assertEquals(1, segmentsIn(port) - before, "commit reply and the released group's replies in one segment");

            // Lock-step: each reply on its own, without waiting for more input.
            out.write("body\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(List.of("250"), codes(in, 1));
            out.write("NOOP\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(List.of("250"), codes(in, 1));
        }
    }

    private static List<String> codes(BufferedReader in, int n) throws Exception {
        String[] c = new String[n];
        for (int i = 0; i < n; i++) {
            c[i] = in.readLine().substring(0, 3);
        }
        return List.of(c);
    }

    /** Data segments the client's socket (local port) has received, from the kernel's TCP_INFO. */
    private static long segmentsIn(int localPort) throws Exception {
        Peers.Result r = Peers.run(Duration.ofSeconds(10), null,
                List.of("ss", "-tinH", "state", "established", "( sport = :" + localPort + " )"));
        Matcher m = DATA_SEGS_IN.matcher(r.out());
        if (!m.find()) {
            return 0; // no data segment received yet (ss omits the field)
        }
        return Long.parseLong(m.group(1));
    }
}

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
 * smtpd_forbid_bare_newline = note (Postfix 3.9): a bare LF, in a command or in the message, is
 * accepted as with normalize, and the session's disconnect line ends with {@code notes=bare_lf}
 * (smtpd.c smtpd_format_cmd_stats), which is how a postmaster finds such clients before choosing reject.
 */
class BareNewlineNoteTest {
    @TempDir
    Path dir;

    /** One session: HELO ending in a bare LF when {@code bareCommand}, else a message with one bare LF in its body. */
    private static void session(SmtpdHarness h, boolean bareCommand) throws Exception {
        try (Socket s = new Socket(h.address().getAddress(), h.address().getPort())) {
            s.setSoTimeout(15_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("220 "));
            out.write((bareCommand ? "HELO client.example\n" : "HELO client.example\r\n").getBytes(StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("250 "));
            if (!bareCommand) {
                out.write("MAIL FROM:<a@client.example>\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(in.readLine().startsWith("250 "));
                out.write("RCPT TO:<b@example.org>\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(in.readLine().startsWith("250 "));
                out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(in.readLine().startsWith("354 "));
                out.write("Subject: x\r\n\r\nline one\nline two\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                String queued = in.readLine();
                assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
            }
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(in.readLine().startsWith("221 "));
        }
    }

    private static void awaitDisconnects(SmtpdHarness h, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (h.log().split("disconnect from ", -1).length - 1 < n) {
            assertTrue(System.nanoTime() < deadline, "no " + n + " disconnect lines:\n" + h.log());
            Thread.sleep(20);
        }
    }

    /** A test's body with a real smtpd on {@code in} with these main.cf lines (peer name lookups off). */
    private interface WithHarness {
        void run(SmtpdHarness h) throws Exception;
    }

    private static void with(Path in, String mainCf, WithHarness body) throws Exception {
        ExecutorService io = Executors.newFixedThreadPool(2);
        java.nio.file.Files.createDirectories(in);
        try (SmtpdHarness h = new SmtpdHarness(in, mainCf + "smtpd_peername_lookup = no\n", io)) {
            body.run(h);
        } finally {
            io.shutdownNow();
        }
    }

    @Test
    void noteAcceptsAndSaysSoOnTheDisconnectLine() throws Exception {
        // The harness's mynetworks holds 127.0.0.0/8, which the default exclusions ($mynetworks) would exempt.
        with(dir, "smtpd_forbid_bare_newline = note\nsmtpd_forbid_bare_newline_exclusions =\n", h -> {
            session(h, true);
            awaitDisconnects(h, 1);
            assertTrue(h.log().contains("helo=1 quit=1 commands=2 notes=bare_lf\n"), h.log());
            session(h, false);
            awaitDisconnects(h, 2);
            assertTrue(h.log().contains("helo=1 mail=1 rcpt=1 data=1 quit=1 commands=5 notes=bare_lf\n"), h.log());
        });
    }

    /** smtpd.c: clients in smtpd_forbid_bare_newline_exclusions (default $mynetworks) get "no": no note, no reject. */
    @Test
    void mynetworksClientsAreExcludedByDefault() throws Exception {
        with(dir, "smtpd_forbid_bare_newline = note\n", h -> {
            session(h, true);
            awaitDisconnects(h, 1);
            assertFalse(h.log().contains("notes="), h.log());
        });
        with(dir.resolve("reject"), "smtpd_forbid_bare_newline = reject\n", h -> {
            session(h, true); // HELO with a bare LF answered 250, not 550 5.5.2
            session(h, false);
        });
    }

    @Test
    void normalizeAcceptsWithoutANote() throws Exception {
        with(dir, "", h -> {
            session(h, true);
            session(h, false);
            awaitDisconnects(h, 2);
            assertFalse(h.log().contains("notes="), h.log());
        });
    }
}

package dev.postern.server;

import dev.postern.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern bench} that gives up says why: the first error's command and the server's reply. */
class BenchGiveUpTest {
    @TempDir
    Path dir;

    @Test
    void givingUpSaysWhy() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            PrintStream saved = System.err;
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code;
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            try {
                code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true),
                        "bench", "--server", "127.0.0.1:" + mta.submission().getPort(), "--messages", "5", "--concurrency", "1",
                        "--starttls", "--ca", mta.pki.badCaFile().toString());
            } finally {
                System.setErr(saved);
            }
            String e = err.toString(StandardCharsets.UTF_8);
            assertEquals(1, code, e);
            // The server's certificate is not from the --ca given: no connection ever gets to MAIL.
            assertTrue(e.contains("bench: first error: TLS handshake failed: "), e);
            assertTrue(e.contains("giving up after 101 errors; the first: TLS handshake failed: "), e);
        }
    }
}

package dev.postern.server;

import dev.postern.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern test}: the seed's checks in one command, against a real running server and next hop. */
class SeedCheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void allSeedChecksPassAgainstTheSeedConfiguration() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "-c", dir.toString(), "test",
                    "--server", "127.0.0.1:" + mta.submission().getPort(),
                    "--cert", mta.pki.goodClient().certFile().toString(), "--key", mta.pki.goodClient().keyFile().toString(),
                    "--bad-cert", mta.pki.badCaClient().certFile().toString(),
                    "--bad-key", mta.pki.badCaClient().keyFile().toString(), "--timeout", "30");
            String o = out.toString();
            assertEquals(0, code, o + err);
            assertTrue(o.contains("PASS  plaintext MAIL refused: 530 5.7.0 Must issue a STARTTLS command first"), o);
            assertTrue(o.matches("(?s).*PASS  message [0-9A-F]+ delivered: to=<someone@somewhere\\.else\\.example>, .*status=sent.*"), o);
            assertTrue(o.contains("PASS  certificate from another CA refused: 421 4.7.1 mx.postern.test Error: Client certificate not trusted"), o);
            assertTrue(o.contains("PASS  no certificate refused: 421 4.7.1 mx.postern.test Error: No client certificate presented"), o);
            assertTrue(o.contains("5 passed, 0 failed"), o);
            assertTrue(mta.sink.take(10) != null, "the test message really reached the next hop");
        }
    }

    @Test
    void failuresAreReportedAndExitNonZero() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            StringWriter out = new StringWriter();
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "-c", dir.toString(), "test",
                    "--server", "127.0.0.1:" + mta.submission().getPort(),
                    "--cert", mta.pki.badCaClient().certFile().toString(), "--key", mta.pki.badCaClient().keyFile().toString(),
                    "--timeout", "5");
            assertEquals(1, code, out.toString());
            assertTrue(out.toString().contains("FAIL  good certificate accepted"), out.toString());
        }
    }
}

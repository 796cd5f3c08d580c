package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern demo --self-test}: both halves of the seed on port 0 (submission server, desktop
 * MTA with the seed's client-side lines and maps, "world" and "ISP" sinks), one message per kind of
 * sender, then postern test. It exits 0 only when every message went where the seed says, and it
 * fails when the desktop's routing is broken.
 */
class DemoSelfTestTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private Run demo(String... extra) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] args = new String[3 + extra.length];
        args[0] = "demo";
        args[1] = "--dir=" + dir.resolve("demo");
        args[2] = "--self-test";
        System.arraycopy(extra, 0, args, 3, extra.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyMessageGoesWhereTheSeedSaysAndTheChecksPass() throws Exception {
        Run r = demo();
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("me@my.domain.example") && r.out().contains("me@laptop.my.domain.example")
                && r.out().contains("me@old-isp-account.example"), r.out());
        assertEquals(3, r.out().split("\\[as the seed says]", -1).length - 1, r.out());
        assertTrue(r.out().contains("-> the world, through the submission server (TLS, client certificate verified)"), r.out());
        assertTrue(r.out().contains("-> the ISP's smarthost"), r.out());
        assertTrue(r.out().contains("5 passed, 0 failed"), r.out());
        assertTrue(r.out().contains("postern demo --self-test: PASS"), r.out());
        Path desktopLog = dir.resolve("demo/self-test/desktop/maillog");
        String log = Files.readString(desktopLog);
        assertTrue(log.contains("Verified TLS connection established to localhost[127.0.0.1]:"), log);
        // Run twice: a second run starts from a fresh self-test directory.
        Run again = demo();
        assertEquals(0, again.code(), again.out() + again.err());
    }

    @Test
    void brokenSenderRoutingFails() {
        Run r = demo("--desktop-param", "sender_dependent_relayhost_maps = inline:{ {@other.example=[localhost]:1} }");
        assertTrue(r.code() != 0, r.out() + r.err());
        assertTrue(r.out().contains("me@my.domain.example") && r.out().contains("-> the ISP's smarthost  [WRONG: the seed says "
                + "the world, through the submission server (TLS, client certificate verified)]"), r.out());
        assertTrue(r.out().contains("postern demo --self-test: FAIL (a message did not go where the seed says"), r.out());
        assertFalse(r.out().contains("postern demo --self-test: PASS"), r.out());
    }
}

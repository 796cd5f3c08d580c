package dev.postern.cli;

import dev.postern.testing.ReservedPort;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's first command: `postern demo` makes its directory once, runs the seed's submission
 * service on loopback, and the seed's checks (`postern test`) pass against it with its certificates.
 */
class DemoCommandTest {
    @TempDir
    Path dir;

    /** Held through the test: the demo's listeners bind them with SO_REUSEADDR, nothing else can. */
    @AutoClose
    private final ReservedPort submission = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort world = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort isp = ReservedPort.reserve();
    @AutoClose
    private final ReservedPort desktop = ReservedPort.reserve();

    @Test
    void demoRunsTheSeedServiceAndTheSeedChecksPass() throws Exception {
        Path demo = dir.resolve("demo");
        int port = submission.port();
        int sinkPort = world.port();
        int ispPort = isp.port();
        int desktopPort = desktop.port();
        AtomicInteger exit = new AtomicInteger(-1);
        StringWriter demoOut = new StringWriter();
        Thread t = new Thread(() -> exit.set(Main.run(new PrintWriter(demoOut, true), new PrintWriter(new StringWriter(), true),
                "demo", "--dir", demo.toString(), "--port", Integer.toString(port), "--sink-port", Integer.toString(sinkPort),
                "--isp-port", Integer.toString(ispPort), "--desktop-port", Integer.toString(desktopPort))));
        t.start();
        try {
            long deadline = System.nanoTime() + 60_000_000_000L;
            boolean up = false;
            while (!up && System.nanoTime() < deadline && t.isAlive()) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    up = true;
                } catch (java.io.IOException e) {
                    Thread.sleep(100);
                }
            }
            assertTrue(up, "the demo listens on 127.0.0.1:" + port);
            for (String f : new String[] {"main.cf", "master.cf", "CAcert.pem", "server-cert.pem", "server-key.pem",
                    "client-cert.pem", "client-key.pem", "bad-client-cert.pem", "bad-client-key.pem"}) {
                assertTrue(Files.isRegularFile(demo.resolve(f)), f);
            }
            StringWriter out = new StringWriter();
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "-c", demo.toString(), "test",
                    "--server", "127.0.0.1:" + port,
                    "--cert", demo.resolve("client-cert.pem").toString(), "--key", demo.resolve("client-key.pem").toString(),
                    "--bad-cert", demo.resolve("bad-client-cert.pem").toString(),
                    "--bad-key", demo.resolve("bad-client-key.pem").toString(), "--timeout", "30");
            assertEquals(0, code, out.toString());
            long shown = System.nanoTime() + 60_000_000_000L;
            while (!demoOut.toString().contains("Ctrl-C stops.") && System.nanoTime() < shown) {
                Thread.sleep(100);
            }
            assertEquals(3, demoOut.toString().split("\\[as the seed says]", -1).length - 1, demoOut.toString());
            for (String f : new String[] {"desktop/main.cf", "desktop/master.cf", "desktop/sender_dependent_relayhost",
                    "desktop/smtp_tls_policy"}) {
                assertTrue(Files.isRegularFile(demo.resolve(f)), f);
            }
            assertTrue(out.toString().contains("5 passed, 0 failed"), out.toString());
            try (var files = Files.list(demo.resolve("sink"))) {
                assertTrue(files.findAny().isPresent(), "the test message reached the demo's sink");
            }
        } finally {
            t.interrupt(); // the demo waits for Ctrl-C; an interrupt ends it the same way
            t.join(30_000);
        }
        assertFalse(t.isAlive(), "the demo stopped");
    }

    /** --desktop-param writes into a new desktop directory only; with one already there it says so, not nothing. */
    @Test
    void aDesktopParamForAnExistingDirectoryIsReportedNotDropped() {
        Path demo = dir.resolve("demo");
        String[] run = {"demo", "--dir", demo.toString(), "--port", Integer.toString(submission.port()), "--sink-port",
                Integer.toString(world.port()), "--isp-port", Integer.toString(isp.port()), "--desktop-port",
                Integer.toString(desktop.port()), "--exit-after-start", "--desktop-param", "smtp_helo_name = first.example"};
        CliRun first = CliRun.of(run);
        assertEquals(0, first.status(), first.out() + first.err());
        assertFalse(first.err().contains("is not applied"), first.err());
        run[run.length - 1] = "smtp_helo_name = second.example";
        CliRun second = CliRun.of(run);
        assertEquals(0, second.status(), second.out() + second.err());
        assertTrue(second.err().contains("--desktop-param smtp_helo_name = second.example is not applied"), second.err());
    }
}

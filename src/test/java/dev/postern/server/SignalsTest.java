package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HUP handler is installed before the server starts (start-fg): a HUP that arrives while the
 * server is starting is kept and becomes a reload once it is up, never the JVM's default (exit).
 */
class SignalsTest {
    @TempDir
    Path dir;

    @Test
    void aHangupWhileStartingIsAReloadOnceTheServerIsUp() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            Path queue = dir.resolve("queue");
            Signals.Hangup hangup = Signals.handleHangup(dir);
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")) + "smtpd_banner = $myhostname reloaded\n");
            hangup.hangup(); // before serve(): the server is not handed over yet
            assertEquals(Optional.empty(), Signals.lastReload(queue), "no reload before the server is served");
            hangup.serve(mta.server);
            String outcome = awaitReload(queue);
            assertTrue(outcome.matches(ProcessHandle.current().pid() + " \\d+ ok\\n"), outcome);
            mta.awaitLog("postern/master\\[\\d+\\]: reload -- configuration ", Duration.ofSeconds(10));
            assertTrue(mta.server.config().get("smtpd_banner").endsWith(" reloaded"), "the server runs the file as it is after the HUP");
        }
    }

    @Test
    void aHangupAfterServeReloadsAtOnce() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            Signals.Hangup hangup = Signals.handleHangup(dir);
            hangup.serve(mta.server);
            assertEquals(Optional.empty(), Signals.lastReload(dir.resolve("queue")), "serve() alone does not reload");
            hangup.hangup();
            assertTrue(awaitReload(dir.resolve("queue")).endsWith(" ok\n"));
        }
    }

    private static String awaitReload(Path queue) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Optional<String> r = Signals.lastReload(queue);
            if (r.isPresent()) {
                return r.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no reload outcome in " + Signals.reloadStatus(queue));
    }
}

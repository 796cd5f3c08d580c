package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An idle daemon sleeps (issue 12, the seed's own volume: a personal server is idle nearly all
 * the time). Once what a delivered message started has settled (the cached connection closed, the
 * recycled queue file emptied), none of Postern's own threads wakes (the lookup table watcher
 * among them): every one of them waits for work, not for a timer. Counted from the kernel's voluntary context switches per thread
 * (/proc/PID/task/TID/status) of a daemon run as a separate process. Before this, an idle daemon's
 * spool threads woke ten times a second, the write watchdog four times, and seven others (Netty's
 * event loops among them) once a second. The JVM's own threads are not judged.
 */
@EnabledOnOs(OS.LINUX)
class IdleWakeupsTest {
    /** Thread names of Postern's own and of its Netty event loops (not the JVM's). */
    private static final List<String> OURS = List.of("spool-", "pickup", "qmgr", "postern-", "smtp-", "maillog", "cleanup", "smtpd");
    private static final Duration WINDOW = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void afterAMessageSettlesNoneOfPosternsThreadsWakes() throws Exception {
        DaemonUnderTest d = new DaemonUnderTest(dir);
        // Postfix's default queue_run_delay (the harness's 1 s is for tests that wait on retries),
        // and a lookup table, as the seed's desktop has: its watcher must sleep too.
        Files.writeString(dir.resolve("tls_policy"), "other.example secure\n");
        Files.writeString(dir.resolve("main.cf"), d.mainCf("smtp_tls_policy_maps = texthash:" + dir.resolve("tls_policy") + "\n")
                .replace("queue_run_delay = 1s\n", ""));
        Files.writeString(dir.resolve("master.cf"), TestMta.seedMasterCf("127.0.0.1:0"));
        Path out = dir.resolve("daemon.out");
        Process daemon = DaemonProcess.start(dir, dir.resolve("queue"), out);
        try {
            d.awaitLog("daemon started -- listening on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(10));
            InetSocketAddress at = new InetSocketAddress("127.0.0.1",
                    d.ports("daemon started -- listening on 127\\.0\\.0\\.1:(\\d+)").get(0));
            assertTrue(d.send(at, "idle@example.com").startsWith("250 2.0.0 Ok: queued as "));
            d.awaitLog("to=<idle@example\\.com>.*status=sent", Duration.ofSeconds(30));
            d.awaitLog(": removed", Duration.ofSeconds(10));

            // What the message started settles within seconds (connection cache 2 s, a recycled file
            // emptied after 10 s); then a window with no wake-up at all must come.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            Map<String, Long> woke = Map.of();
            while (System.nanoTime() < deadline) {
                Map<String, Long> before = switches(daemon.pid());
                Thread.sleep(WINDOW.toMillis()); // the measurement window itself
                woke = wokeSince(before, switches(daemon.pid()));
                if (woke.isEmpty()) {
                    break;
                }
            }
            assertEquals(Map.of(), woke, "Postern's threads that woke in the last " + WINDOW.toSeconds()
                    + " s window, 60 s after the message was delivered (name: wake-ups)");
            assertTrue(daemon.isAlive());
        } finally {
            assertEquals(0, d.postern("stop").code());
            daemon.waitFor(30, TimeUnit.SECONDS);
            daemon.destroyForcibly();
            d.sink.close();
        }
    }

    /** Per thread of ours (id and name): its voluntary context switches so far. */
    private static Map<String, Long> switches(long pid) throws IOException {
        Map<String, Long> out = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim();
                    if (OURS.stream().noneMatch(name::startsWith)) {
                        continue;
                    }
                    for (String line : Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            out.put(t.getFileName() + " " + name, Long.parseLong(line.substring(line.indexOf(':') + 1).trim()));
                        }
                    }
                } catch (IOException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        return out;
    }

    /** The threads that switched since {@code before} (a thread born in between counts from zero), by name. */
    private static Map<String, Long> wokeSince(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> woke = new TreeMap<>();
        after.forEach((thread, n) -> {
            long d = n - before.getOrDefault(thread, 0L);
            if (d > 0) {
                woke.merge(thread.substring(thread.indexOf(' ') + 1), d, Long::sum);
            }
        });
        return woke;
    }
}

package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.postern.server.DestinationConcurrencyTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a reload does to a master.cf transport's SMTP client while it delivers, end to end: a
 * transport removed mid-delivery finishes that delivery, defers the mail still waiting for it
 * ("mail transport unavailable", 4.3.0) and then closes its client; a transport whose -o change
 * gets a new client at each reload, and the old one closes once its deliveries end. "Closed" is
 * seen from outside: the client's connection-cache thread ({@code smtp-cache}, one per client)
 * has ended, and the connection it kept idle for the next message (the lines set
 * smtp_connection_cache_time_limit to 300s, so only closing the client ends it) is gone at the
 * next hop. The next hops hold transactions at the final dot until the test lets them go
 * ({@link HeldHop}); every wait is on a condition.
 */
class RetiredTransportTest {
    private static final String SENDER = "me@my.domain.example";

    @TempDir
    Path dir;

    private static String ispLine(String helo) {
        return "isp       unix  -       -       n       -       -       smtp\n"
                + "    -o syslog_name=postfix/isp\n"
                + "    -o smtp_helo_name=" + helo + "\n"
                + "    -o smtp_connection_cache_time_limit=300s\n";
    }

    /** The SMTP clients' connection-cache threads alive now (one per client). */
    private static Set<Thread> cacheThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("smtp-cache") && t.isAlive())
                .collect(Collectors.toSet());
    }

    /** Cache threads alive now that were not in {@code before}: this test's server's clients. */
    private static Set<Thread> since(Set<Thread> before) {
        Set<Thread> now = cacheThreads();
        now.removeAll(before);
        return now;
    }

    private static long alive(Set<Thread> threads) {
        return threads.stream().filter(Thread::isAlive).count();
    }

    @Test
    void aTransportRemovedWhileItDeliversFinishesThatDeliveryDefersTheRestAndCloses() throws Exception {
        Set<Thread> before = cacheThreads();
        try (HeldHop hop = HeldHop.start()) {
            String main = "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + hop.port() + " }\n"
                    + "isp_destination_concurrency_limit = 1\n";
            try (TestMta mta = TestMta.start(dir, main, ispLine("isp.helo.example"))) {
                removeWhileDelivering(mta, hop, before);
            } finally {
                hop.openGate();
            }
        }
    }

    private void removeWhileDelivering(TestMta mta, HeldHop hop, Set<Thread> before) throws Exception {
        await(() -> since(before).size() == 2, () -> "main.cf's client and isp's: " + since(before).size() + " cache threads");
        Set<Thread> atStart = since(before);
        String first = BounceAndRetryTest.send(mta, SENDER, "in flight", "first@isp.example");
        String second = BounceAndRetryTest.send(mta, SENDER, "waiting", "second@isp.example");
        // The first is held at the next hop; the second waits in qmgr for isp's only slot.
        await(() -> hop.held() == 1 && mta.server.qmgrActiveCount() == 2 && mta.server.deliveriesInProgress() == 1,
                () -> "one delivery held, one waiting: " + hop.held() + " held, " + mta.server.qmgrActiveCount() + " active");

        Path master = dir.resolve("master.cf");
        Files.writeString(master, Files.readString(master).replace(ispLine("isp.helo.example"), ""));
        List<String> notes = mta.server.reload(Server.plan(dir));
        assertTrue(notes.contains("transport isp removed: its mail waiting for a delivery is deferred"), notes.toString());
        // main.cf's old client had nothing to do and closes; isp's runs the held delivery and stays; the reload's
        // new main.cf client is the other thread.
        await(() -> alive(atStart) == 1 && since(before).size() == 2,
                () -> alive(atStart) + " of the start's clients alive, " + since(before).size() + " in all; expected 1 and 2");

        hop.release(1);
        mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + first + ": to=<first@isp\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                + hop.port() + ", .*dsn=2\\.0\\.0, status=sent", Duration.ofSeconds(30));
        String log = mta.awaitLog(" postern/qmgr\\[\\d+\\]: " + second + ": to=<second@isp\\.example>, relay=none, .*dsn=4\\.3\\.0, "
                + "status=deferred \\(mail transport unavailable\\)", Duration.ofSeconds(30));
        assertTrue(log.contains("warning: " + second + ": transport isp is not defined"), log);
        // isp's client closed after its last delivery: its thread ended and its cached connection was closed.
        await(() -> alive(atStart) == 0 && since(before).size() == 1 && hop.connections() == 0,
                () -> alive(atStart) + " of the start's clients alive, " + since(before).size() + " in all, "
                        + hop.connections() + " connections at the hop; expected 0, 1 and 0");
        assertEquals(1, hop.accepted().size(), "only the delivery in flight reached the hop");
        await(() -> mta.queuedFiles() == 1 && mta.server.qmgrActiveCount() == 0, () -> "the waiting message deferred, not lost");
        assertFalse(mta.log().contains(second + ": removed"), mta.log());
    }

    @Test
    void replacedClientsCloseAfterTheirLastDeliveryAcrossManyReloads() throws Exception {
        Set<Thread> before = cacheThreads();
        try (HeldHop hop = HeldHop.start(); HeldHop slow = HeldHop.start()) {
            hop.openGate();
            String main = "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + hop.port()
                    + ", slow.example=isp:[127.0.0.1]:" + slow.port() + " }\n";
            try (TestMta mta = TestMta.start(dir, main, ispLine("helo-0.example"))) {
                manyReloads(mta, hop, slow, before);
            } finally {
                slow.openGate();
            }
        }
    }

    private void manyReloads(TestMta mta, HeldHop hop, HeldHop slow, Set<Thread> before) throws Exception {
        Path master = dir.resolve("master.cf");
        String seed = Files.readString(master).replace(ispLine("helo-0.example"), "");
        String held = null;
        for (int i = 1; i <= 20; i++) {
            int reload = i;
            Files.writeString(master, seed + ispLine("helo-" + i + ".example"));
            List<String> notes = mta.server.reload(Server.plan(dir));
            assertTrue(notes.stream().anyMatch(n -> n.startsWith("transport isp changed")), notes.toString());
            if (i == 12) {
                // The delivery held since reload 6 ends; its client (reload 6's) has been replaced six times since.
                slow.release(1);
                await(() -> slow.accepted().size() == 1, () -> "the held delivery ends");
                assertEquals("helo-6.example", slow.accepted().get(0).helo(), "it ran on the client it started with");
                held = null;
            }
            boolean holding = held != null;
            // Bounded: main.cf's client, isp's current one, and reload 6's while its delivery is held; no idle
            // connection outlives the client that cached it. (Reload 6's client runs only the held delivery: a
            // replaced client keeps its idle connections until its last delivery ends, when it closes.)
            await(() -> since(before).size() == (holding ? 3 : 2) && hop.connections() == 0 && slow.connections() == (holding ? 1 : 0),
                    () -> "after reload " + reload + ": " + since(before).size() + " cache threads, " + hop.connections() + "+"
                            + slow.connections() + " connections at the hops");
            if (i % 4 == 0 || i == 10) {
                int n = hop.accepted().size();
                BounceAndRetryTest.send(mta, SENDER, "after reload " + i, "user" + i + "@isp.example");
                await(() -> hop.accepted().size() == n + 1, () -> "delivered after reload " + reload);
                assertEquals("helo-" + i + ".example", hop.accepted().get(n).helo(), "the -o of reload " + i);
                // Its connection now waits in that client's cache (300 s) until the next reload closes the client.
                await(() -> hop.connections() == 1, () -> "the connection cached after reload " + reload);
            }
            if (i == 6) {
                held = BounceAndRetryTest.send(mta, SENDER, "held", "held@slow.example");
                await(() -> slow.held() == 1, () -> "held at the slow hop");
            }
        }
        await(() -> since(before).size() == 2 && hop.connections() == 1 && slow.connections() == 0,
                () -> since(before).size() + " cache threads, " + hop.connections() + "+" + slow.connections() + " connections");
        await(() -> mta.queuedFiles() == 0, () -> "everything delivered");
        String log = mta.log();
        assertFalse(log.contains("status=deferred"), log);
    }
}

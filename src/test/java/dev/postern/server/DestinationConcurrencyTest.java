package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Destination concurrency limits end to end, observed at the next hop: a real Postern, a master.cf
 * transport {@code isp} and next hops that hold every transaction at its final dot until the test
 * lets it go ({@link HeldHop}), so the deliveries in progress stay put while the rest of the mail
 * waits in qmgr. {@code isp_destination_concurrency_limit} caps one destination of isp while
 * default_destination_concurrency_limit caps smtp's; a reload that lowers or raises a limit applies
 * to the next delivery started for a destination that is busy, not only after it drains.
 * Waits are on conditions (what the hops and qmgr count), never on time.
 */
class DestinationConcurrencyTest {
    private static final String SENDER = "me@my.domain.example";
    private static final String ISP_LINE = "isp       unix  -       -       n       -       -       smtp\n"
            + "    -o syslog_name=postfix/isp\n";

    @TempDir
    Path dir;

    @Test
    void aTransportsOwnLimitAndTheDefaultLimitEachHoldAtTheirNextHop() throws Exception {
        try (HeldHop ispHop = HeldHop.start(); HeldHop smtpHop = HeldHop.start()) {
            String main = "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + ispHop.port() + " }\n"
                    + "relayhost = [127.0.0.1]:" + smtpHop.port() + "\n"
                    + "isp_destination_concurrency_limit = 2\ndefault_destination_concurrency_limit = 3\n";
            try (TestMta mta = TestMta.start(dir, main, ISP_LINE)) {
                checkLimits(mta, ispHop, smtpHop);
            } finally {
                openAll(ispHop, smtpHop);
            }
        }
    }

    private static void checkLimits(TestMta mta, HeldHop ispHop, HeldHop smtpHop) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(BounceAndRetryTest.send(mta, SENDER, "isp " + i, "user" + i + "@isp.example"));
            ids.add(BounceAndRetryTest.send(mta, SENDER, "smtp " + i, "user" + i + "@far.example"));
        }
        // All ten in qmgr's active queue, five deliveries started: the other five wait for a slot.
        await(() -> ispHop.held() == 2 && smtpHop.held() == 3 && mta.server.qmgrActiveCount() == 10
                && mta.server.deliveriesInProgress() == 5, () -> "2 held at isp's hop, 3 at smtp's; " + state(mta, ispHop, smtpHop));
        ispHop.openGate();
        smtpHop.openGate();
        await(() -> ispHop.accepted().size() == 5 && smtpHop.accepted().size() == 5 && mta.queuedFiles() == 0,
                () -> "all ten delivered; " + state(mta, ispHop, smtpHop));
        assertEquals(2, ispHop.maxInTransaction(), "isp_destination_concurrency_limit = 2 at isp's next hop");
        assertEquals(3, smtpHop.maxInTransaction(), "default_destination_concurrency_limit = 3 for smtp");
        for (int i = 0; i < 5; i++) {
            mta.awaitLog(" postfix/isp/smtp\\[\\d+\\]: " + ids.get(2 * i) + ": to=<user" + i + "@isp\\.example>, relay=127\\.0\\.0\\.1"
                    + "\\[127\\.0\\.0\\.1\\]:" + ispHop.port() + ", .*status=sent", Duration.ofSeconds(20));
            mta.awaitLog(" postern/smtp\\[\\d+\\]: " + ids.get(2 * i + 1) + ": to=<user" + i + "@far\\.example>, relay=127\\.0\\.0\\.1"
                    + "\\[127\\.0\\.0\\.1\\]:" + smtpHop.port() + ", .*status=sent", Duration.ofSeconds(20));
        }
    }

    /**
     * The known bug this closes: the limit was taken when the destination's queue was created and
     * kept until it drained, so under steady load a reload's new limit never applied.
     */
    @Test
    void aReloadLowersAndRaisesTheLimitOfABusyDestination() throws Exception {
        try (HeldHop hop = HeldHop.start()) {
            String routing = "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + hop.port() + " }\n";
            try (TestMta mta = TestMta.start(dir, routing + "isp_destination_concurrency_limit = 3\n", ISP_LINE)) {
                lowerAndRaise(mta, hop, routing);
            } finally {
                openAll(hop);
            }
        }
    }

    private void lowerAndRaise(TestMta mta, HeldHop hop, String routing) throws Exception {
        for (int i = 0; i < 9; i++) {
            BounceAndRetryTest.send(mta, SENDER, "load " + i, "user" + i + "@isp.example");
        }
        await(() -> hop.held() == 3 && mta.server.qmgrActiveCount() == 9 && mta.server.deliveriesInProgress() == 3,
                () -> "three held under the limit of 3; " + state(mta, hop));

        reload(mta, routing + "isp_destination_concurrency_limit = 1\n");
        hop.release(3);
        // The three finish; of the six waiting, one starts: the new limit, while the destination was busy.
        await(() -> hop.accepted().size() == 3 && hop.held() == 1 && mta.server.deliveriesInProgress() == 1,
                () -> "one at a time after lowering the limit to 1; " + state(mta, hop));
        assertEquals(1, hop.inTransaction(), state(mta, hop));
        hop.release(1);
        await(() -> hop.accepted().size() == 4 && hop.held() == 1 && mta.server.deliveriesInProgress() == 1,
                () -> "still one at a time; " + state(mta, hop));
        assertEquals(1, hop.inTransaction(), state(mta, hop));

        // Raised through the default (no per-transport value left): three more start at once.
        reload(mta, routing + "default_destination_concurrency_limit = 4\n");
        await(() -> hop.held() == 4 && mta.server.deliveriesInProgress() == 4,
                () -> "four at once after raising the limit to 4; " + state(mta, hop));
        hop.openGate();
        await(() -> hop.accepted().size() == 9 && mta.queuedFiles() == 0, () -> "all nine delivered; " + state(mta, hop));
        assertEquals(4, hop.maxInTransaction(), "never more than the limit in force: 3, 1, then 4");
        await(() -> mta.log().split(" postfix/isp/smtp\\[", -1).length - 1 == 9, () -> "nine logged by isp; log:\n" + logOf(mta));
        assertTrue(!mta.log().contains("status=deferred") && !mta.log().contains("warning: transport"), mta.log());
    }

    /** main.cf as TestMta wrote it, with {@code extra} in place of the test's own lines, then reloaded. */
    private void reload(TestMta mta, String extra) throws Exception {
        Path mainCf = dir.resolve("main.cf");
        String text = Files.readString(mainCf);
        int own = text.indexOf("transport_maps = ");
        Files.writeString(mainCf, text.substring(0, own) + extra);
        mta.server.reload(Server.plan(dir));
    }

    /** Lets held deliveries end before the server stops (after a failed assertion, too). */
    static void openAll(HeldHop... hops) {
        for (HeldHop h : hops) {
            h.openGate();
        }
    }

    private static String logOf(TestMta mta) {
        try {
            return mta.log();
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private static String state(TestMta mta, HeldHop... hops) {
        StringBuilder s = new StringBuilder("qmgr: " + mta.server.qmgrActiveCount() + " active, "
                + mta.server.deliveriesInProgress() + " in progress");
        for (HeldHop h : hops) {
            s.append("; hop ").append(h.port()).append(": ").append(h.held()).append(" held, ").append(h.inTransaction())
                    .append(" in transaction (max ").append(h.maxInTransaction()).append("), ").append(h.accepted().size())
                    .append(" accepted");
        }
        return s.toString();
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** Waits (60 s at most: a loaded 2-core CI machine) until {@code c} holds. */
    static void await(Check c, Supplier<String> what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!c.ok()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting: " + what.get());
            }
            Thread.sleep(20);
        }
    }
}

package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.postern.server.DestinationConcurrencyTest.await;
import static dev.postern.server.DestinationConcurrencyTest.openAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A master.cf transport line's maxproc end to end, as amavisd-new's setup needs it
 * ({@code smtp-amavis unix - - n - 2 smtp} for {@code max_servers 2}): a real Postern, a transport
 * {@code filter} with maxproc 2 and two destinations (next hops on two ports, each of which would
 * take 20 at once by its destination concurrency limit), and smtp mail meanwhile. The next hops
 * hold every transaction at its final dot ({@link HeldHop}), counting transactions in progress over
 * both of filter's hops together. A reload raises, then lowers, the maxproc while mail waits.
 * Waits are on conditions, never on time.
 */
class TransportProcessLimitTest {
    private static final String SENDER = "me@my.domain.example";

    @TempDir
    Path dir;

    private static String filterLine(String maxproc) {
        return "filter    unix  -       -       n       -       " + maxproc + "       smtp\n"
                + "    -o syslog_name=postfix/filter\n";
    }

    @Test
    void maxprocCapsTheTransportOverAllItsDestinationsAndAReloadChangesIt() throws Exception {
        HeldHop.Group filterGroup = new HeldHop.Group();
        try (HeldHop hopA = HeldHop.start(filterGroup); HeldHop hopB = HeldHop.start(filterGroup);
             HeldHop smtpHop = HeldHop.start()) {
            String main = "transport_maps = inline:{ a.example=filter:[127.0.0.1]:" + hopA.port()
                    + ", b.example=filter:[127.0.0.1]:" + hopB.port() + " }\n"
                    + "relayhost = [127.0.0.1]:" + smtpHop.port() + "\n";
            try (TestMta mta = TestMta.start(dir, main, filterLine("2"))) {
                assertFalse(mta.warnings.stream().anyMatch(w -> w.contains("maxproc")), mta.warnings.toString());
                check(mta, filterGroup, hopA, hopB, smtpHop);
            } finally {
                openAll(hopA, hopB, smtpHop);
            }
        }
    }

    private void check(TestMta mta, HeldHop.Group filter, HeldHop hopA, HeldHop hopB, HeldHop smtpHop) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(BounceAndRetryTest.send(mta, SENDER, "a " + i, "user" + i + "@a.example"));
            ids.add(BounceAndRetryTest.send(mta, SENDER, "b " + i, "user" + i + "@b.example"));
        }
        // Two of filter's six deliveries start, over its two destinations; four wait for its maxproc.
        await(() -> hopA.held() + hopB.held() == 2 && mta.server.qmgrActiveCount() == 6
                && mta.server.deliveriesInProgress("filter") == 2, () -> "two held for filter; " + state(mta, filter, hopA, hopB, smtpHop));
        // smtp is not held up behind filter's waiting mail: its three start and are held at once.
        for (int i = 0; i < 3; i++) {
            BounceAndRetryTest.send(mta, SENDER, "far " + i, "user" + i + "@far.example");
        }
        await(() -> smtpHop.held() == 3 && mta.server.deliveriesInProgress() == 5,
                () -> "smtp's three held while filter waits; " + state(mta, filter, hopA, hopB, smtpHop));
        assertEquals(2, filter.maxInTransaction(), "maxproc 2 over both destinations; " + state(mta, filter, hopA, hopB, smtpHop));
        smtpHop.openGate();

        // A reload raises it to 3 while two run: a third starts without waiting for either to end.
        reload(mta, "2", "3");
        await(() -> hopA.held() + hopB.held() == 3 && mta.server.deliveriesInProgress("filter") == 3,
                () -> "three held after raising maxproc to 3; " + state(mta, filter, hopA, hopB, smtpHop));
        assertEquals(3, filter.maxInTransaction());

        // Lowered to 1 while three run: none is cut; after they end, one at a time.
        reload(mta, "3", "1");
        filter.resetMax();
        int heldA = hopA.held();
        int heldB = hopB.held();
        hopA.release(heldA);
        hopB.release(heldB);
        await(() -> hopA.accepted().size() + hopB.accepted().size() == 3 && hopA.held() + hopB.held() == 1
                && mta.server.deliveriesInProgress("filter") == 1, () -> "one held after lowering maxproc to 1; "
                + state(mta, filter, hopA, hopB, smtpHop));
        filter.resetMax();
        hopA.openGate();
        hopB.openGate();
        await(() -> hopA.accepted().size() + hopB.accepted().size() == 6 && smtpHop.accepted().size() == 3
                && mta.queuedFiles() == 0, () -> "all delivered; " + state(mta, filter, hopA, hopB, smtpHop));
        assertEquals(1, filter.maxInTransaction(), "never more than 1 at once after lowering; " + state(mta, filter, hopA, hopB, smtpHop));
        assertEquals(3, hopA.accepted().size(), "each destination had all its mail");
        for (int i = 0; i < 3; i++) {
            mta.awaitLog(" postfix/filter/smtp\\[\\d+\\]: " + ids.get(2 * i) + ": to=<user" + i + "@a\\.example>, relay=127\\.0\\.0\\.1"
                    + "\\[127\\.0\\.0\\.1\\]:" + hopA.port() + ", .*status=sent", Duration.ofSeconds(30));
            mta.awaitLog(" postfix/filter/smtp\\[\\d+\\]: " + ids.get(2 * i + 1) + ": to=<user" + i + "@b\\.example>, relay=127\\.0\\.0\\.1"
                    + "\\[127\\.0\\.0\\.1\\]:" + hopB.port() + ", .*status=sent", Duration.ofSeconds(30));
        }
        String log = mta.log(); // after the awaited lines above; a deferral would have been logged before them
        assertFalse(log.contains("status=deferred"), log);
    }

    /** As Postfix's master (master_ent.c), a maxproc that is no process count is an error, not ignored. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"two", "+5", "-1"})
    void aMaxprocThatIsNoProcessCountIsRefused(String maxproc) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("queue")
                + "\nsmtpd_recipient_restrictions = reject_unauth_destination\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n" + filterLine(maxproc));
        dev.postern.config.ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.postern.config.ConfigException.class, () -> Server.plan(dir));
        assertEquals("master.cf:2: service filter: maxproc \"" + maxproc + "\" is not a process count; use a whole number, 0 for no"
                + " limit, or - for default_process_limit", e.getMessage());
    }

    /** master.cf with filter's maxproc {@code from} replaced by {@code to}, then reloaded. */
    private void reload(TestMta mta, String from, String to) throws Exception {
        Path masterCf = dir.resolve("master.cf");
        String text = Files.readString(masterCf);
        assertEquals(1, text.split(java.util.regex.Pattern.quote(filterLine(from)), -1).length - 1, text);
        Files.writeString(masterCf, text.replace(filterLine(from), filterLine(to)));
        mta.server.reload(Server.plan(dir));
    }

    private static String state(TestMta mta, HeldHop.Group filter, HeldHop... hops) {
        StringBuilder s = new StringBuilder("qmgr: " + mta.server.qmgrActiveCount() + " active, "
                + mta.server.deliveriesInProgress() + " in progress (filter " + mta.server.deliveriesInProgress("filter")
                + "); filter's hops: " + filter.inTransaction() + " in transaction (max " + filter.maxInTransaction() + ")");
        for (HeldHop h : hops) {
            s.append("; hop ").append(h.port()).append(": ").append(h.held()).append(" held, ").append(h.inTransaction())
                    .append(" in transaction (max ").append(h.maxInTransaction()).append("), ").append(h.accepted().size())
                    .append(" accepted");
        }
        return s.toString();
    }
}

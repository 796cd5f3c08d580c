package dev.postern.qmgr;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A master.cf transport line's maxproc caps the deliveries in progress through that transport over
 * all its destinations; other transports go on meanwhile (no head-of-line blocking), jobs waiting
 * at the cap neither starve others nor make the scheduler loop, and a reload's new value applies to
 * the next start.
 */
class SchedulerTransportLimitTest {
    private static Job job(String transport, String nexthop) {
        return new Job(null, new Route(transport, nexthop, false), List.of());
    }

    private static long count(List<Job> jobs, String transport) {
        return jobs.stream().filter(j -> j.route().transport().equals(transport)).count();
    }

    @Test
    void theCapHoldsOverAllDestinationsWhileOtherTransportsProceed() {
        Scheduler s = new Scheduler(t -> 20, t -> t.equals("filter") ? 2 : Integer.MAX_VALUE, 100);
        Instant now = Instant.now();
        for (int i = 0; i < 10; i++) {
            s.add(job("filter", "hop" + (i % 5) + ".example"), now); // five destinations, two jobs each
        }
        for (int i = 0; i < 3; i++) {
            s.add(job("smtp", "far" + i + ".example"), now);
        }
        List<Job> first = s.takeRunnable();
        assertEquals(2, count(first, "filter"), "maxproc 2 over five destinations");
        assertEquals(3, count(first, "smtp"), "smtp is not held up behind filter's waiting jobs");
        assertEquals(2, s.running("filter"));
        assertEquals(0, s.takeRunnable().size(), "nothing more: filter is full, and the loop ends");

        // More smtp mail arrives while filter's eight jobs wait: it starts at once.
        s.add(job("smtp", "late.example"), now);
        assertEquals(List.of("smtp"), s.takeRunnable().stream().map(j -> j.route().transport()).toList());

        // Each filter delivery that ends lets exactly one waiting filter job start, until all ten ran.
        List<Job> filterRunning = new ArrayList<>(first.stream().filter(j -> j.route().transport().equals("filter")).toList());
        java.util.Set<String> hops = new java.util.HashSet<>();
        int started = 2;
        while (!filterRunning.isEmpty()) {
            Job done = filterRunning.remove(0);
            hops.add(done.route().nexthop());
            s.finished(done, null, now);
            List<Job> next = s.takeRunnable();
            assertTrue(next.size() <= 1, "one slot freed, at most one start: " + next);
            started += next.size();
            filterRunning.addAll(next);
            assertTrue(s.running("filter") <= 2, "never above maxproc");
        }
        assertEquals(10, started);
        assertEquals(5, hops.size(), "every destination of filter had its turn");
    }

    /**
     * Draining a backlog behind a small maxproc costs work per delivery that does not grow with the
     * backlog: each finished delivery hands back one parked destination, not all of them (which
     * made draining 40,000 destinations behind maxproc 10 take 14 s under the scheduler's lock).
     * Counted as lookups of the transport's limit, which the ring makes once per destination it
     * looks at.
     */
    @Test
    void drainingABacklogBehindTheCapIsLinear() {
        AtomicInteger lookups = new AtomicInteger();
        Scheduler s = new Scheduler(t -> 20, t -> {
            lookups.incrementAndGet();
            return t.equals("filter") ? 1 : Integer.MAX_VALUE;
        }, 100);
        Instant now = Instant.now();
        int n = 5_000;
        for (int i = 0; i < n; i++) {
            s.add(job("filter", "hop" + i + ".example"), now);
        }
        List<Job> running = new ArrayList<>(s.takeRunnable());
        int done = 0;
        while (!running.isEmpty()) {
            s.finished(running.remove(0), null, now);
            done++;
            running.addAll(s.takeRunnable());
            assertTrue(running.size() <= 1, "maxproc 1");
        }
        assertEquals(n, done, "every destination's job ran");
        assertTrue(lookups.get() < 20 * n, "linear in the backlog, not quadratic: " + lookups.get() + " limit lookups for " + n);
    }

    @Test
    void aReloadRaisesLowersOrRemovesTheCapForTheNextStarts() {
        AtomicInteger cap = new AtomicInteger(1);
        Scheduler s = new Scheduler(t -> 20, t -> t.equals("filter") ? cap.get() : Integer.MAX_VALUE, 100);
        Instant now = Instant.now();
        for (int i = 0; i < 8; i++) {
            s.add(job("filter", "hop" + (i % 4) + ".example"), now);
        }
        List<Job> running = new ArrayList<>(s.takeRunnable());
        assertEquals(1, running.size(), "maxproc 1");
        cap.set(3); // a reload raises it while one runs and seven wait, parked at the transport
        s.setProcessLimit(100); // what QueueManager.reconfigure calls: parked destinations are looked at again
        running.addAll(s.takeRunnable());
        assertEquals(3, running.size(), "two more start at once, without waiting for the running one to end");
        cap.set(1); // lowered while three run: none is interrupted, none starts until fewer than 1 run
        s.setProcessLimit(100);
        assertEquals(0, s.takeRunnable().size());
        s.finished(running.remove(0), null, now);
        s.finished(running.remove(0), null, now);
        assertEquals(0, s.takeRunnable().size(), "one still runs: the new cap of 1 is used up");
        s.finished(running.remove(0), null, now);
        running.addAll(s.takeRunnable());
        assertEquals(1, running.size(), "then one at a time");
        cap.set(Integer.MAX_VALUE); // maxproc 0 or "-": no cap of its own
        s.setProcessLimit(100);
        running.addAll(s.takeRunnable());
        assertEquals(5, running.size(), "the other four start: only the destination limits apply");
    }

    /** A parked destination that goes dead must not keep its transport's other destinations waiting. */
    @Test
    void aDeadDestinationWaitingAtTheCapLeavesItsPlaceToTheOthers() {
        Scheduler s = new Scheduler(t -> 20, t -> 1, 100);
        Instant now = Instant.now();
        s.add(job("filter", "a.example"), now);
        s.add(job("filter", "a.example"), now);
        s.add(job("filter", "b.example"), now);
        List<Job> first = s.takeRunnable();
        assertEquals(1, first.size());
        assertEquals("a.example", first.get(0).route().nexthop());
        RecipientResult down = new RecipientResult.Deferred(MailAddress.parse("u@a.example"), "a.example", "4.4.1",
                "connect refused", Duration.ZERO, Duration.ZERO);
        List<Job> suspended = s.finished(first.get(0), down, now.plusSeconds(60));
        assertNotNull(suspended, "a.example is now dead");
        assertEquals(1, suspended.size(), "its waiting job is handed back");
        List<Job> next = s.takeRunnable();
        assertEquals(1, next.size());
        assertEquals("b.example", next.get(0).route().nexthop(), "b.example gets the transport's slot");
        s.finished(next.get(0), null, now);
        assertEquals(0, s.running("filter"));
        assertEquals(1, s.destinationCount(), "only the dead mark of a.example is kept");
    }

    @Test
    void settingsTakeMaxprocFromTheTransportLinesOnly() {
        QmgrSettings q = new QmgrSettings(Duration.ofSeconds(300), Duration.ofSeconds(300), Duration.ofSeconds(4000),
                Duration.ofDays(5), Duration.ofDays(5), Duration.ZERO, 20, Map.of(), 100, 20000, "",
                Map.of("filter", 2));
        assertEquals(2, q.processLimitFor("filter"));
        assertEquals(Integer.MAX_VALUE, q.processLimitFor("smtp"));
    }
}

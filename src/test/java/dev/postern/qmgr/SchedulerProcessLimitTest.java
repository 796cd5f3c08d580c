package dev.postern.qmgr;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * default_process_limit caps deliveries at once, a destination's concurrency limit those to one
 * destination, and a reload's new value of either applies to deliveries started after it.
 */
class SchedulerProcessLimitTest {
    private static Job job(String nexthop) {
        return new Job(null, new Route("smtp", nexthop, false), List.of());
    }

    @Test
    void aReloadedProcessLimitAppliesToTheNextDeliveries() {
        Scheduler s = new Scheduler(transport -> 20, 1);
        Instant now = Instant.now();
        for (String hop : List.of("a.example", "b.example", "c.example", "d.example")) {
            s.add(job(hop), now);
        }
        assertEquals(1, s.takeRunnable().size(), "default_process_limit 1");
        assertEquals(0, s.takeRunnable().size());
        s.setProcessLimit(3);
        assertEquals(2, s.takeRunnable().size(), "raised to 3 by a reload: two more start at once");
        s.setProcessLimit(1);
        assertEquals(0, s.takeRunnable().size(), "lowered: nothing starts while 3 run (none is interrupted)");
    }

    /** The limit is read at each start, not kept from when the destination's queue was made (it was, until it drained). */
    @Test
    void aReloadedDestinationLimitAppliesToABusyDestination() {
        AtomicInteger limit = new AtomicInteger(3);
        Scheduler s = new Scheduler(transport -> transport.equals("smtp") ? limit.get() : 20, 100);
        Instant now = Instant.now();
        for (int i = 0; i < 8; i++) {
            s.add(job("busy.example"), now);
        }
        List<Job> first = s.takeRunnable();
        assertEquals(3, first.size(), "the limit of 3");
        limit.set(1); // a reload lowers it while three are in progress
        assertEquals(0, s.takeRunnable().size());
        s.finished(first.get(0), null, now);
        s.finished(first.get(1), null, now);
        assertEquals(0, s.takeRunnable().size(), "one still in progress: the new limit of 1 is used up");
        s.finished(first.get(2), null, now);
        assertEquals(1, s.takeRunnable().size(), "then one at a time");
        assertEquals(0, s.takeRunnable().size());
        limit.set(4); // raised while one is in progress
        assertEquals(3, s.takeRunnable().size(), "three more start at once");
        assertEquals(4, s.running());
    }
}

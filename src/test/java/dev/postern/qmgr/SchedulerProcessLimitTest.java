package dev.postern.qmgr;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** default_process_limit caps deliveries at once, and a reload's new value applies to deliveries started after it. */
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
}

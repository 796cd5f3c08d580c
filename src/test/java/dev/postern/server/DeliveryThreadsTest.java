package dev.postern.server;

import dev.postern.cli.bench.LoadGenerator;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue manager's delivery threads follow the deliveries in progress, not default_process_limit,
 * and cleanup's I/O threads the writes in progress, not their bound: messages received and
 * delivered one after another reuse a thread or two. (A fixed pool of default_process_limit
 * threads started a new thread per delivery until it had them all: 2,000 idle threads and
 * +160 MiB of RSS in the benchmark, whose default_process_limit is 10,100; cleanup's fixed pool of
 * 32 had all 32 after a few messages, ~10 MiB of RSS on a daemon that sees one at a time.)
 */
class DeliveryThreadsTest {
    @TempDir
    Path dir;

    @Test
    void sequentialDeliveriesReuseAThread() throws Exception {
        try (TestMta mta = TestMta.start(dir, "default_process_limit = 500\n", "")) {
            long before = threads("qmgr-delivery");
            long cleanupBefore = threads("cleanup");
            TestPki.Client c = mta.pki.goodClient();
            int messages = 40;
            for (int i = 0; i < messages; i++) { // one at a time: each is delivered before the next is sent
                LoadGenerator.Options o = new LoadGenerator.Options(mta.submission(), true, c.certFile().toFile(),
                        c.keyFile().toFile(), mta.pki.caFile().toFile(), 1, 1, 1, 512, "me@my.domain.example",
                        "someone@somewhere.else.example", false, false);
                LoadGenerator.Result r = LoadGenerator.run(o);
                assertEquals(0, r.errors(), r.line());
                assertNotNull(mta.sink.take(30), "message " + i + " never reached the next hop");
            }
            long grown = threads("qmgr-delivery") - before;
            assertTrue(grown <= 3, grown + " new qmgr-delivery threads for " + messages + " sequential deliveries");
            long cleanup = threads("cleanup") - cleanupBefore;
            assertTrue(cleanup <= 3, cleanup + " new cleanup threads for " + messages + " sequential messages");
            assertTrue(threads("cleanup") >= 1, "no thread named cleanup: the count above would prove nothing");
        }
    }

    private static long threads(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).count();
    }
}

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
 * The queue manager's delivery threads follow the deliveries in progress, not default_process_limit:
 * messages delivered one after another reuse one thread. (A fixed pool of default_process_limit
 * threads started a new thread per delivery until it had them all: 2,000 idle threads and
 * +160 MiB of RSS in the benchmark, whose default_process_limit is 10,100.)
 */
class DeliveryThreadsTest {
    @TempDir
    Path dir;

    @Test
    void sequentialDeliveriesReuseAThread() throws Exception {
        try (TestMta mta = TestMta.start(dir, "default_process_limit = 500\n", "")) {
            long before = deliveryThreads();
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
            long grown = deliveryThreads() - before;
            assertTrue(grown <= 3, grown + " new qmgr-delivery threads for " + messages + " sequential deliveries");
        }
    }

    private static long deliveryThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("qmgr-delivery")).count();
    }
}

package dev.postern.server;

import dev.postern.cli.bench.LoadGenerator;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern bench}'s load generator against the real seed server (STARTTLS, client certificate):
 * both client modes, one command per round trip and RFC 2920 pipelining, submit every message
 * without an error, and every message reaches the next hop. Without --tls-resume every handshake is
 * a full one (as smtplib); with it, later connections resume the session the server issued.
 */
class BenchLoadGeneratorTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"false,false", "true,false", "false,true"})
    void everyMessageIsAcceptedAndRelayed(boolean pipelining, boolean resume) throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            TestPki.Client c = mta.pki.goodClient();
            LoadGenerator.Options o = new LoadGenerator.Options(mta.submission(), true, c.certFile().toFile(),
                    c.keyFile().toFile(), mta.pki.caFile().toFile(), 2, 7, 3, 2048, "me@my.domain.example",
                    "someone@somewhere.else.example", pipelining, resume);
            LoadGenerator.Result r = LoadGenerator.run(o);
            assertEquals(0, r.errors(), r.line());
            assertEquals(7, r.messages(), r.line());
            assertTrue(r.handshakes() >= 3, r.line());
            // the generator's own CPU: it made TLS handshakes, so it is above zero on Linux
            assertTrue(r.clientCpuMs() > 0, r.line());
            assertTrue(r.line().contains(" client_cpu_ms_per_msg="), r.line());
            // whole sessions (connect to the 221): 7 messages at 3 per connection are 3 sessions, and
            // the longest session holds the longest message
            assertEquals(3, r.sessions(), r.line());
            assertTrue(r.sessionP50() > 0 && r.sessionP99() >= r.p99(), r.line());
            if (resume) {
                assertTrue(r.resumed() >= 1, "no connection resumed a session: " + r.line());
            } else {
                assertEquals(0, r.resumed(), r.line());
            }
            for (int i = 0; i < 7; i++) {
                assertNotNull(mta.sink.take(30), "message " + i + " never reached the next hop");
            }
        }
    }

    /**
     * --rate: an open loop. The starts are paced by the clock (3 connections at 2/s: the last starts
     * 1 s after the first, where the same three unpaced take a fraction of that), not by the server,
     * and every message still arrives; a rate far beyond one connection's speed makes the later
     * starts wait for the only slot and says so (late=).
     */
    @org.junit.jupiter.api.Test
    void openLoopPacesStartsAndCountsLateOnes() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            TestPki.Client c = mta.pki.goodClient();
            LoadGenerator.Options paced = new LoadGenerator.Options(mta.submission(), true, c.certFile().toFile(),
                    c.keyFile().toFile(), mta.pki.caFile().toFile(), 4, 3, 1, 1024, "me@my.domain.example",
                    "someone@somewhere.else.example", false, false, 0, 2);
            LoadGenerator.Result r = LoadGenerator.run(paced);
            assertEquals(0, r.errors(), r.line());
            assertEquals(3, r.messages(), r.line());
            assertTrue(r.seconds() >= 1.0, "3 starts at 2/s take at least 1 s: " + r.line());
            assertTrue(r.line().endsWith(" rate=2.0 late=" + r.late()), r.line());

            LoadGenerator.Options flood = new LoadGenerator.Options(mta.submission(), true, c.certFile().toFile(),
                    c.keyFile().toFile(), mta.pki.caFile().toFile(), 1, 6, 1, 1024, "me@my.domain.example",
                    "someone@somewhere.else.example", false, false, 0, 100_000);
            LoadGenerator.Result f = LoadGenerator.run(flood);
            assertEquals(0, f.errors(), f.line());
            assertEquals(6, f.messages(), f.line()); // the waiting starts took the slot in turn
            assertTrue(f.late() >= 1, "six starts within 60 us on one slot: some had to wait: " + f.line());
            // a session's clock starts at its scheduled start: the last one waited for the five
            // before it, so it spans nearly the whole run (from its connect, about a sixth of it)
            assertEquals(6, f.sessions(), f.line());
            assertTrue(f.sessionP99() >= 0.75 * f.seconds() * 1000, f.line());
            for (int i = 0; i < 9; i++) {
                assertNotNull(mta.sink.take(30), "message " + i + " never reached the next hop");
            }
        }
    }
}

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
}

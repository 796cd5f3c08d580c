package dev.postern.server;

import dev.postern.cli.bench.LoadGenerator;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * {@code postern bench}'s load generator against the real seed server (STARTTLS, client certificate):
 * both client modes, one command per round trip and RFC 2920 pipelining, submit every message
 * without an error, and every message reaches the next hop.
 */
class BenchLoadGeneratorTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void everyMessageIsAcceptedAndRelayed(boolean pipelining) throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            TestPki.Client c = mta.pki.goodClient();
            LoadGenerator.Options o = new LoadGenerator.Options(mta.submission(), true, c.certFile().toFile(),
                    c.keyFile().toFile(), mta.pki.caFile().toFile(), 2, 7, 3, 2048, "me@my.domain.example",
                    "someone@somewhere.else.example", pipelining);
            LoadGenerator.Result r = LoadGenerator.run(o);
            assertEquals(0, r.errors(), r.line());
            assertEquals(7, r.messages(), r.line());
            for (int i = 0; i < 7; i++) {
                assertNotNull(mta.sink.take(30), "message " + i + " never reached the next hop");
            }
        }
    }
}

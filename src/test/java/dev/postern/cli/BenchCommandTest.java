package dev.postern.cli;

import dev.postern.testing.ReservedPort;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern bench --idle-sessions}: open= counts the TLS sessions actually open and idle;
 * a --server that is no host:port is a parameter error naming the option.
 */
class BenchCommandTest {
    private static CliRun idle(String server) {
        return CliRun.of("bench", "--server", server, "--idle-sessions", "2", "--hold", "0", "--starttls");
    }

    @Test
    void refusedConnectionsAreFailedNotNegativeOpenSessions() throws Exception {
        try (ReservedPort refused = ReservedPort.reserve()) { // bound, never listening: connections are refused
            CliRun r = idle("127.0.0.1:" + refused.port());
            assertEquals("IDLE open=0 failed=2\n", r.out(), r.err());
            assertEquals(1, r.status());
        }
    }

    @Test
    void connectionsWithoutStarttlsAreFailedNotOpen() throws Exception {
        // the sink speaks SMTP without TLS: connected, but no idle TLS session
        try (SinkServer sink = new SinkServer(new InetSocketAddress("127.0.0.1", 0), null)) {
            CliRun r = idle("127.0.0.1:" + sink.address().getPort());
            assertEquals("IDLE open=0 failed=2\n", r.out(), r.err());
            assertEquals(1, r.status());
        }
    }

    @Test
    void aServerThatIsNoHostAndPortIsAParameterError() {
        CliRun r = CliRun.of("bench", "--server", "[::1:25", "--messages", "1");
        assertEquals(2, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("--server [::1:25: expected host:port, e.g. 127.0.0.1:587"), r.err());
        r = CliRun.of("bench", "--server", "nohost.invalid:25", "--messages", "1");
        assertEquals(2, r.status(), r.out() + r.err());
        assertTrue(r.err().contains("--server nohost.invalid:25: unknown host \"nohost.invalid\""), r.err());
    }
}

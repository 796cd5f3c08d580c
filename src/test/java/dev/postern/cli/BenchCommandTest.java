package dev.postern.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code postern bench --idle-sessions}: open= counts the TLS sessions actually open and idle. */
class BenchCommandTest {
    private record Run(int status, String out, String err) {
    }

    private static Run idle(String server) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "--server", server,
                "--idle-sessions", "2", "--hold", "0", "--starttls");
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void refusedConnectionsAreFailedNotNegativeOpenSessions() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed below: connections to it are refused
        }
        Run r = idle("127.0.0.1:" + port);
        assertEquals("IDLE open=0 failed=2\n", r.out(), r.err());
        assertEquals(1, r.status());
    }

    @Test
    void connectionsWithoutStarttlsAreFailedNotOpen() throws Exception {
        // the sink speaks SMTP without TLS: connected, but no idle TLS session
        try (SinkServer sink = new SinkServer(new InetSocketAddress("127.0.0.1", 0), null)) {
            Run r = idle("127.0.0.1:" + sink.address().getPort());
            assertEquals("IDLE open=0 failed=2\n", r.out(), r.err());
            assertEquals(1, r.status());
        }
    }
}

package dev.postern.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern sink --listen}: a listen address it cannot use is a parameter error (exit 2), never a Java exception's name. */
class SinkCommandTest {
    private static void assertRefused(String listen, String expected) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "sink", "--listen", listen);
        assertEquals(2, status, err.toString());
        assertTrue(err.toString().startsWith(expected), err.toString());
        assertTrue(err.toString().contains("host:port"), err.toString());
        assertTrue(!err.toString().contains("Exception"), err.toString());
    }

    @Test
    void listenAddressWithoutAPortOrAHostIsRefused() {
        assertRefused("nocolon", "--listen nocolon: expected host:port, e.g. 127.0.0.1:10025\n");
        assertRefused(":25", "--listen :25: expected host:port");
        assertRefused("127.0.0.1:x", "--listen 127.0.0.1:x: expected host:port, e.g. 127.0.0.1:10025 (bad port \"x\"");
    }

    @Test
    void listenHostThatDoesNotResolveIsRefused() {
        // .invalid never resolves (RFC 6761)
        assertRefused("nohost.invalid:25", "--listen nohost.invalid:25: unknown host \"nohost.invalid\"");
    }
}

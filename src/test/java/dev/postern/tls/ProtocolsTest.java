package dev.postern.tls;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ProtocolsTest {
    @Test
    void postfixSyntax() {
        assertArrayEquals(new String[] {"TLSv1.2", "TLSv1.3"}, Protocols.parse(">=TLSv1.2"));
        assertArrayEquals(new String[] {"TLSv1.2", "TLSv1.3"}, Protocols.parse("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"));
        assertArrayEquals(new String[] {"TLSv1.3"}, Protocols.parse("TLSv1.3"));
        assertArrayEquals(new String[] {"TLSv1.2", "TLSv1.3"}, Protocols.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Protocols.parse("!TLSv1.2 !TLSv1.3 TLSv1.2"));
    }
}

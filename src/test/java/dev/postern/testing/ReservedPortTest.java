package dev.postern.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The kernel behaviour the suite's "next hop down, then up on the same port" tests rest on. */
class ReservedPortTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void refusesConnectionsAndStrangersUntilAReuseAddrListenerTakesIt() throws Exception {
        try (ReservedPort reserved = ReservedPort.reserve()) {
            int port = reserved.port();
            assertThrows(ConnectException.class, () -> new Socket(LOOPBACK, port).close(), "nothing listens: refused");
            try (ServerSocket stranger = new ServerSocket()) {
                stranger.setReuseAddress(false);
                assertThrows(IOException.class, () -> stranger.bind(new InetSocketAddress(LOOPBACK, port)),
                        "a socket without SO_REUSEADDR cannot take the port");
            }
            try (ServerSocket listener = new ServerSocket()) {
                listener.setReuseAddress(true);
                listener.bind(new InetSocketAddress(LOOPBACK, port));
                try (Socket client = new Socket(LOOPBACK, port); Socket accepted = listener.accept()) {
                    client.getOutputStream().write('x');
                    assertEquals('x', accepted.getInputStream().read(), "the listener, not the reservation, answers");
                }
            }
        }
    }
}

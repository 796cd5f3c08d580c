package dev.postern.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback TCP port held for a test without a listener: bound (port 0, read back) but never
 * listening, with SO_REUSEADDR.
 *
 * <p>Why not "bind port 0, close it, use the number later": between the close and the later bind
 * any other socket in the suite may be given the same number (it happened: a "closed" next hop
 * became another test's sink and the mail was delivered instead of deferred). While this socket is
 * held, Linux refuses connections to the port (no listener), refuses it to any socket that binds
 * without SO_REUSEADDR, and skips it when it hands out ports for bind(0) or connect(). A listener
 * that sets SO_REUSEADDR (Postern's smtpd and sink, the tests' RecordingSink, Postfix's master)
 * may still bind it while it is held, so a next hop that is down now and up later, or a daemon
 * killed and restarted, keeps its port with no gap for a stranger to take it. Close it at the end.
 */
public final class ReservedPort implements AutoCloseable {
    private final Socket socket;

    private ReservedPort(Socket socket) {
        this.socket = socket;
    }

    /**
     * A port on 127.0.0.1 that refuses connections until a SO_REUSEADDR listener binds it. Unchecked,
     * so a test can hold one in a field ({@code @AutoClose ReservedPort nextHop = ReservedPort.reserve();}).
     */
    public static ReservedPort reserve() {
        Socket s = new Socket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return new ReservedPort(s);
        } catch (IOException e) {
            try {
                s.close();
            } catch (IOException ignored) {
                // the bind failed: nothing is held
            }
            throw new UncheckedIOException("cannot reserve a loopback port", e);
        }
    }

    public int port() {
        return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

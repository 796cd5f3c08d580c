package dev.postern.smtpd;

import java.net.InetAddress;

/**
 * The client's verified name, as Postfix logs it: the PTR name when its forward lookup leads back
 * to the address, else "unknown". Blocking; called off the event loop.
 */
final class PeerNames {
    private PeerNames() {}

    static String lookup(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return "localhost";
        }
        String name = address.getCanonicalHostName(); // the JDK does the forward check
        return name.equals(address.getHostAddress()) ? "unknown" : name;
    }
}

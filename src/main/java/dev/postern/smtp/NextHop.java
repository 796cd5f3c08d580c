package dev.postern.smtp;

import dev.postern.util.HostPort;

/**
 * A Postfix next hop: {@code [host]:port} (no MX lookup), {@code host:port}, or a domain.
 * {@code domain} is the name without brackets and port, used for certificate checks.
 */
record NextHop(String text, String host, int port, boolean bracketed) {
    static NextHop parse(String text) {
        HostPort hp = HostPort.parse(text);
        return new NextHop(text, hp.host(), hp.portOr(25), hp.bracketed());
    }

    String domain() {
        return host;
    }
}

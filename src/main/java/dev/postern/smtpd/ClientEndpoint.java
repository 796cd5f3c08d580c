package dev.postern.smtpd;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;

/**
 * Who the SMTP client is: the one place a session learns the client's address and port. Without a
 * proxy it is the TCP peer; behind a PROXY protocol proxy ({@link UpstreamProxy}) it is the
 * address the proxy reports, or unknown when the proxy's header was missing or bad. Every use of
 * the client address (logs, Received:, mynetworks, access checks, anvil counts and rates) goes
 * through the session's copy of this, never through {@code channel.remoteAddress()}.
 *
 * @param address the client's address and port; null when unknown (Postfix's unknown[unknown],
 *                which is never given rights and is hung up on with 421 4.3.0)
 */
record ClientEndpoint(InetSocketAddress address) {
    private static final AttributeKey<ClientEndpoint> KEY = AttributeKey.valueOf("postern.clientEndpoint");

    static final ClientEndpoint UNKNOWN = new ClientEndpoint(null);

    boolean known() {
        return address != null;
    }

    /** Set by the proxy handler before the session starts. */
    static void set(Channel channel, ClientEndpoint endpoint) {
        channel.attr(KEY).set(endpoint);
    }

    /** What the proxy reported, else the TCP peer. */
    static ClientEndpoint of(Channel channel) {
        ClientEndpoint reported = channel.attr(KEY).get();
        return reported != null ? reported : new ClientEndpoint((InetSocketAddress) channel.remoteAddress());
    }
}

package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.tls.ClientSessionCache;
import dev.postern.tls.ClientTlsOptions;
import dev.postern.tls.TlsClient;
import dev.postern.tls.TlsServer;
import dev.postern.tls.TlsSetupException;
import dev.postern.util.IpAddresses;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * The TLS handshake after the server's 220 to STARTTLS, with the protocols and ciphers of the
 * policy, then the verdict on the server's certificate ({@link ServerAuthentication}), logged as
 * Postfix logs it: {@code Verified TLS connection established to h[a]:p: TLSv1.3 with cipher ...}.
 * The handshake as a whole is bounded by smtp_starttls_timeout (Postfix bounds each of its reads
 * and writes by it; a handshake is one or two round trips, so the two differ little, and a whole
 * bound also stops a server that trickles its records).
 *
 * <p>With smtp_tls_session_cache_database set, the session cached for the server's
 * {@link TlsSessionId} is offered (Postfix's tls_client_start()); a resumed session gets the same
 * verdict a full handshake would, made on the certificates it carries. At smtp_tls_loglevel 2, as
 * Postfix: {@code looking for session ID in smtp cache}, {@code h[a]:p: Reusing old session},
 * {@code remove session ID from client cache} (a failed handshake; Postern also drops a server's
 * sessions after a failed verdict, so its next connection is judged after a full handshake).
 */
final class TlsHandshake {
    /** The deferral text when the handshake itself failed (Postfix's words). */
    static final String HANDSHAKE_FAILURE = "Cannot start TLS: handshake failure";

    private TlsHandshake() {}

    /**
     * Null when mail may go; otherwise the deferral text (4.7.5).
     * @param transport the delivery's transport (Postfix's service name, part of the session key)
     * @param ehloName the name in the server's EHLO reply (part of the session key, as in Postfix)
     */
    static String run(SmtpConnection conn, TlsClient tls, TlsPolicy policy, NextHop hop, String relay, SmtpClientSettings s,
                      MailLog log, String transport, String ehloName) {
        SslHandler ssl;
        int bracket = relay.indexOf('[');
        String serverName = bracket < 0 ? relay : relay.substring(0, bracket);
        String sni = ServerNameIndication.resolve(policy.serverNameSetting(s), serverName, hop.domain());
        ClientTlsOptions options = policy.handshake(s);
        ClientSessionCache cache = tls.sessions();
        String serverId = null;
        String cacheName = null;
        InetSocketAddress server = conn.remote();
        if (cache != null && server != null) {
            serverId = TlsSessionId.of(transport, hop, serverName, IpAddresses.printable(server.getAddress()), server.getPort(),
                    policy, options, sni, ehloName, s);
            if (s.tlsLogLevel() >= 2) {
                log.info("smtp", "looking for session " + serverId + " in smtp cache");
            }
            cacheName = cache.lookup(serverId);
        }
        try {
            ssl = conn.startTls(tls.newHandler(ByteBufAllocator.DEFAULT, options, sni, cacheName,
                    server == null ? 0 : server.getPort()), s.timeouts().starttls());
        } catch (TlsSetupException e) {
            log.warning("smtp", "TLS policy for " + hop.text() + ": " + e.getMessage());
            return "client TLS configuration problem";
        } catch (IOException e) {
            uncache(cache, serverId, cacheName, s, log);
            return HANDSHAKE_FAILURE;
        }
        var session = ssl.engine().getSession();
        boolean resumed = cacheName != null && TlsClient.resumed(ssl.engine());
        if (resumed && s.tlsLogLevel() >= 2) {
            log.info("smtp", relay + ": Reusing old session");
        }
        String summary = TlsServer.describe(session);
        ServerAuthentication auth = ServerAuthentication.judge(tls, session, policy, hop, serverName, s);
        if (!auth.ok()) {
            // Postfix keeps such a session, and its verdict, until it expires; Postern drops it, so
            // the server's next connection shows its certificates again in a full handshake. The
            // session itself leaves Netty's cache too (Postfix's SSL_CTX_remove_session).
            uncache(cache, serverId, cacheName, s, log);
            if (cacheName != null) {
                session.invalidate();
            }
            int port = relay.lastIndexOf("]:");
            log.info("smtp", "server certificate verification failed for " + (port > 0 ? relay.substring(0, port + 1) : relay)
                    + ": " + auth.failure());
            log.info("smtp", auth.trust() + " TLS connection established to " + relay + ": " + summary);
            return "Server certificate not verified";
        }
        if (cacheName != null && !resumed) {
            Instant notAfter = TlsClient.chainNotAfter(session);
            // A chain already expired (accepted at may, encrypt, fingerprint) does not end the entry
            // at once: that would file a new session under a new name at every connection. The
            // levels that check expiry do so again on every resumed session.
            if (notAfter != null && notAfter.isAfter(Instant.now())) {
                cache.limit(serverId, cacheName, notAfter);
            }
        }
        if (s.tlsLogLevel() > 0) {
            log.info("smtp", auth.trust() + " TLS connection established to " + relay + ": " + summary);
        }
        return null;
    }

    /** tls_client.c uncache_session(): the server's next handshake is a full one. */
    private static void uncache(ClientSessionCache cache, String serverId, String cacheName, SmtpClientSettings s, MailLog log) {
        if (cache != null && serverId != null && cache.forget(serverId, cacheName) && s.tlsLogLevel() >= 2) {
            log.info("smtp", "remove session " + serverId + " from client cache");
        }
    }
}

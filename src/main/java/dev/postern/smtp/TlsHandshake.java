package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.tls.TlsClient;
import dev.postern.tls.TlsServer;
import dev.postern.tls.TlsSetupException;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;

/**
 * The TLS handshake after the server's 220 to STARTTLS, with the protocols and ciphers of the
 * policy, then the verdict on the server's certificate ({@link ServerAuthentication}), logged as
 * Postfix logs it: {@code Verified TLS connection established to h[a]:p: TLSv1.3 with cipher ...}.
 * The handshake as a whole is bounded by smtp_starttls_timeout (Postfix bounds each of its reads
 * and writes by it; a handshake is one or two round trips, so the two differ little, and a whole
 * bound also stops a server that trickles its records).
 */
final class TlsHandshake {
    /** The deferral text when the handshake itself failed (Postfix's words). */
    static final String HANDSHAKE_FAILURE = "Cannot start TLS: handshake failure";

    private TlsHandshake() {}

    /** Null when mail may go; otherwise the deferral text (4.7.5). */
    static String run(SmtpConnection conn, TlsClient tls, TlsPolicy policy, NextHop hop, String relay, SmtpClientSettings s,
                      MailLog log) {
        SslHandler ssl;
        int bracket = relay.indexOf('[');
        String serverName = bracket < 0 ? relay : relay.substring(0, bracket);
        String sni = ServerNameIndication.resolve(policy.serverNameSetting(s), serverName, hop.domain());
        try {
            ssl = conn.startTls(tls.newHandler(ByteBufAllocator.DEFAULT, policy.handshake(s), sni), s.timeouts().starttls());
        } catch (TlsSetupException e) {
            log.warning("smtp", "TLS policy for " + hop.text() + ": " + e.getMessage());
            return "client TLS configuration problem";
        } catch (IOException e) {
            return HANDSHAKE_FAILURE;
        }
        var session = ssl.engine().getSession();
        String summary = TlsServer.describe(session);
        ServerAuthentication auth = ServerAuthentication.judge(tls, session, policy, hop, serverName, s);
        if (!auth.ok()) {
            int port = relay.lastIndexOf("]:");
            log.info("smtp", "server certificate verification failed for " + (port > 0 ? relay.substring(0, port + 1) : relay)
                    + ": " + auth.failure());
            log.info("smtp", auth.trust() + " TLS connection established to " + relay + ": " + summary);
            return "Server certificate not verified";
        }
        if (s.tlsLogLevel() > 0) {
            log.info("smtp", auth.trust() + " TLS connection established to " + relay + ": " + summary);
        }
        return null;
    }
}

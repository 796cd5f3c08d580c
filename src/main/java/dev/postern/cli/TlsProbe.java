package dev.postern.cli;

import io.netty.handler.ssl.SslContext;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Opens an SMTP session under TLS the way the service expects it (STARTTLS on 25/587, implicit TLS
 * on 465 = smtpd_tls_wrappermode) for {@code postern test}, and says precisely why not. Anything
 * that fails before the server could answer over a verified TLS session is a {@link ClientSide}
 * failure: it proves nothing about the server's policy, so no check may count it as a refusal.
 */
final class TlsProbe {
    /** How the service starts TLS. */
    enum Mode { STARTTLS, IMPLICIT }

    /** Failure before the server could judge the client: connection, server certificate, name, protocol. */
    static final class ClientSide extends Exception {
        ClientSide(String reason) {
            super(reason);
        }
    }

    /**
     * An open session after a completed handshake. {@code firstReply} is the server's first reply
     * under TLS for implicit TLS (the greeting, or Postfix's immediate 421 abort), null after
     * STARTTLS (the client speaks first: EHLO).
     */
    record Opened(SmtpProbe probe, String firstReply) implements AutoCloseable {
        @Override
        public void close() {
            probe.close();
        }
    }

    private TlsProbe() {
    }

    static Opened open(InetSocketAddress target, String serverName, SslContext ssl, Mode mode, long timeoutMillis)
            throws ClientSide {
        SmtpProbe p;
        try {
            p = new SmtpProbe(target, timeoutMillis);
        } catch (IOException e) {
            throw new ClientSide(e.getMessage());
        }
        try {
            if (mode == Mode.STARTTLS) {
                expect(greeting(p), "220", "greeting", "");
                expect(p.command("EHLO postern-test"), "250", "EHLO", "");
                expect(p.command("STARTTLS"), "220", "STARTTLS", " (is this an implicit-TLS port? try --tls implicit)");
            }
            String failure = p.startTls(ssl, serverName, target.getPort());
            if (failure != null) {
                throw new ClientSide("TLS handshake failed on the client side, so the server never judged the "
                        + "client certificate: " + failure + hint(failure, serverName, mode));
            }
            return new Opened(p, mode == Mode.IMPLICIT ? p.reply() : null);
        } catch (IOException e) {
            p.close();
            throw new ClientSide(e.getMessage());
        } catch (ClientSide e) {
            p.close();
            throw e;
        }
    }

    /** The plaintext greeting; silence usually means an implicit-TLS port waiting for a ClientHello. */
    static String greeting(SmtpProbe p) throws IOException {
        try {
            return p.reply();
        } catch (IOException e) {
            throw new IOException("no greeting: " + e.getMessage() + " (is this an implicit-TLS port? try --tls implicit)");
        }
    }

    private static void expect(String reply, String code, String step, String hint) throws ClientSide {
        if (!reply.startsWith(code)) {
            throw new ClientSide(step + " -> " + reply.replace("\n", " | ") + hint);
        }
    }

    private static String hint(String failure, String serverName, Mode mode) {
        String f = failure.toLowerCase(java.util.Locale.ROOT);
        if (f.contains("subject alternative") || f.contains("no name matching") || f.contains("hostname")) {
            return " (the server certificate does not cover \"" + serverName + "\"; give the name it was issued for with --server-name)";
        }
        if (f.contains("path") || f.contains("trust") || f.contains("unable to find")) {
            return " (the server certificate is not signed by the --ca file)";
        }
        if (mode == Mode.IMPLICIT && (f.contains("not an ssl") || f.contains("plaintext") || f.contains("record"))) {
            return " (is this a STARTTLS port? try --tls starttls)";
        }
        return "";
    }
}

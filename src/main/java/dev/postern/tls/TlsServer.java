package dev.postern.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;

import javax.net.ssl.SSLSession;

/**
 * Server-side TLS for smtpd: one immutable Netty SslContext built from PEM files (OpenSSL provider
 * when available, JDK otherwise), client certificates requested (never required at handshake
 * level) and judged afterwards against the CA file only.
 * SKELETON: implemented by the tls package owner.
 */
public final class TlsServer {
    private TlsServer() {}

    public static TlsServer create(ServerTlsSettings settings) throws TlsSetupException {
        throw new TlsSetupException("not implemented yet");
    }

    /** A new handler for one connection; add it first in the pipeline. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        throw new UnsupportedOperationException();
    }

    /** Judges the peer certificate of a completed handshake. */
    public PeerCertificate inspectPeer(SSLSession session) {
        throw new UnsupportedOperationException();
    }

    /** "OpenSSL" or "JDK". */
    public String providerName() {
        throw new UnsupportedOperationException();
    }

    /** Postfix's summary: {@code TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)}. */
    public static String describe(SSLSession session) {
        throw new UnsupportedOperationException();
    }
}

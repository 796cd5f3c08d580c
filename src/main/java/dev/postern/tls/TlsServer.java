package dev.postern.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLEngine;

/**
 * Server-side TLS for smtpd: one immutable Netty SslContext built from PEM files (OpenSSL/BoringSSL
 * through netty-tcnative when it loads, the JDK otherwise). Client certificates are requested,
 * never required at handshake level: the handshake always completes and {@link #inspectPeer}
 * judges the certificate afterwards against the CA file only, so smtpd can answer like Postfix
 * (421 on the next command) instead of a handshake alert the client cannot explain.
 */
public final class TlsServer {
    static {
        // JDK provider: refuse client-initiated TLS 1.2 renegotiation (BoringSSL refuses it anyway).
        // The JDK reads this once, at its first handshake; the daemon loads this class before any.
        if (System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation") == null) {
            System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        }
    }

    /** Bytes of netty-tcnative's per-connection buffer for handshake and alert records (see create). */
    static final int NON_APPLICATION_BUFFER = 512;

    private final SslContext context;
    private final boolean noTickets;
    private final CertificateJudge judge;
    private final String library;

    private TlsServer(SslContext context, boolean noTickets, CertificateJudge judge, String library) {
        this.noTickets = noTickets;
        this.context = context;
        this.judge = judge;
        this.library = library;
    }

    public static TlsServer create(ServerTlsSettings s) throws TlsSetupException {
        return create(s, OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK);
    }

    /** With an explicit provider: tests run both. */
    public static TlsServer create(ServerTlsSettings s, SslProvider provider) throws TlsSetupException {
        List<X509Certificate> chain = Pem.certificates(s.certFile(), "smtpd_tls_cert_file");
        PrivateKey key = Pem.privateKey(s.keyFile(), "smtpd_tls_key_file");
        KeyMatch.check(key, chain.get(0), s.keyFile(), s.certFile(), "smtpd_tls_key_file", "smtpd_tls_cert_file");
        List<X509Certificate> cas = s.caFile() == null ? List.of() : Pem.certificates(s.caFile(), "smtpd_tls_CAfile");
        String[] protocols;
        try {
            protocols = Protocols.parse(s.protocols());
        } catch (IllegalArgumentException e) {
            throw new TlsSetupException(e.getMessage());
        }
        try {
            X509Certificate[] certs = chain.toArray(X509Certificate[]::new);
            SslContextBuilder b = SslContextBuilder.forServer(key, certs)
                    .sslProvider(provider)
                    .protocols(protocols)
                    .sessionTimeout(Math.max(1, s.sessionCacheTimeout().toSeconds()))
                    .sessionCacheSize(20_000);
            // RSA keys sign through OpenSSL 3's libcrypto when src/main/native was built (NativeRsaKey)
            boolean rsa = NativeRsaKey.keyManager(b, provider, key, certs);
            if (s.askClientCert()) {
                b.clientAuth(ClientAuth.OPTIONAL).trustManager(new RecordingTrustManager(cas));
            }
            SslContext ctx = b.build();
            if (ctx instanceof io.netty.handler.ssl.ReferenceCountedOpenSslContext openSsl) {
                // netty-tcnative mallocs this buffer (handshake and alert bytes BoringSSL writes outside a
                // wrap) for each connection's whole life: 2048 by default, 20 MiB with 10,000 idle
                // sessions. A smaller one only takes more wrap calls per flight: -13 MiB at 10,000, CPU
                // per message 0.97 (A/B, BENCHMARKS.md, issue 12).
                openSsl.setBioNonApplicationBufferSize(NON_APPLICATION_BUFFER);
            }
            boolean noTickets = configureResumption(ctx, s.sessionTickets(),
                    !s.sessionCacheTimeout().isZero() && !s.sessionCacheTimeout().isNegative());
            String library = provider == SslProvider.JDK ? "JDK" : OpenSsl.versionString();
            if (rsa) {
                library += "; RSA key operations by " + NativeRsaKey.status();
            }
            return new TlsServer(ctx, noTickets, new CertificateJudge(cas, s.fingerprintDigest(), s.crlFile()), library);
        } catch (java.io.IOException | java.security.GeneralSecurityException | RuntimeException e) {
            throw new TlsSetupException("cannot set up TLS with " + s.certFile() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Session resumption as Postfix: tickets (TLS 1.2 and 1.3) unless postern_smtpd_tls_session_tickets
     * = no, and neither tickets nor the cache when smtpd_tls_session_cache_timeout is 0. Returns
     * whether each connection must be told "no tickets" (see {@link #newHandler}).
     */
    private static boolean configureResumption(SslContext ctx, boolean tickets, boolean cache) {
        if (!(ctx.sessionContext() instanceof OpenSslSessionContext sc)) {
            return false; // JDK provider: no per-server switch (only the global jdk.tls.* properties)
        }
        if (!cache) {
            sc.setSessionCacheEnabled(false);
        }
        if (tickets && cache) {
            sc.setTicketKeys(); // random keys per process: a restart invalidates old tickets
            return false;
        }
        return true;
    }

    /** A new handler for one connection; put it first in the pipeline. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler h = context.newHandler(alloc);
        if (noTickets && h.engine() instanceof ReferenceCountedOpenSslEngine e) {
            // Netty has no switch for SSL_OP_NO_TICKET, so it is set on the connection's native SSL
            // before the handshake. BoringSSL then sends no TLS 1.3 NewSessionTicket at all (it
            // resumes TLS 1.3 only statelessly) and TLS 1.2 resumes from the session-ID cache.
            SSL.setOptions(e.sslPointer(), SSL.SSL_OP_NO_TICKET);
        }
        return h;
    }

    /**
     * When the stalest CRL in {@code file} (postern_smtpd_tls_crl_file) was issued, its thisUpdate;
     * empty when the file cannot be read or holds no CRL. For the CRL age metric: it parses without
     * checking signatures, which {@link CertificateJudge} does for every handshake.
     */
    public static java.util.Optional<java.time.Instant> oldestCrlIssue(java.nio.file.Path file) {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            return java.security.cert.CertificateFactory.getInstance("X.509").generateCRLs(in).stream()
                    .map(c -> ((java.security.cert.X509CRL) c).getThisUpdate().toInstant())
                    .min(java.util.Comparator.naturalOrder());
        } catch (Exception e) {
            return java.util.Optional.empty();
        }
    }

    /** Whether the handshake resumed a session (OpenSSL provider; the JDK's engine cannot say, so false). */
    public static boolean resumed(javax.net.ssl.SSLEngine engine) {
        if (!(engine instanceof ReferenceCountedOpenSslEngine e)) {
            return false;
        }
        synchronized (e) { // sslPointer() is 0 once the engine is freed
            long ssl = e.sslPointer();
            return ssl != 0 && SSL.isSessionReused(ssl);
        }
    }

    /** Judges the peer certificate of a completed handshake. */
    public PeerCertificate inspectPeer(SSLSession session) {
        Certificate[] peer;
        try {
            peer = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return PeerCertificate.NONE;
        }
        if (peer == null || peer.length == 0) {
            return PeerCertificate.NONE;
        }
        return judge.judge(Arrays.stream(peer).map(c -> (X509Certificate) c).toArray(X509Certificate[]::new));
    }

    /**
     * Why postern_smtpd_tls_crl_file makes every client certificate untrusted right now (unreadable,
     * no valid CRL, expired), or null: for warnings at start and reload.
     */
    public String crlProblem() {
        return judge.crlProblem();
    }

    /**
     * Which code does the TLS work, for the start-up log line: "BoringSSL", "BoringSSL; RSA key
     * operations by OpenSSL 3.0.x" (NativeRsaKey), or "JDK".
     */
    public String library() {
        return library;
    }

    /** The size of netty-tcnative's handshake buffer each new connection gets (tests); 0 with the JDK provider. */
    int handshakeBufferSize() {
        return context instanceof io.netty.handler.ssl.ReferenceCountedOpenSslContext c ? c.getBioNonApplicationBufferSize() : 0;
    }

    /** Postfix's summary, {@code TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)}: see {@link TlsSummary}. */
    public static String describe(SSLSession session) {
        return TlsSummary.of(session);
    }

    /**
     * Accepts every client chain at handshake time (the decision is made later, in the SMTP layer,
     * like Postfix's verify callback that "always returns 1") while advertising the CA file's
     * subjects in the CertificateRequest.
     */
    private static final class RecordingTrustManager extends X509ExtendedTrustManager {
        private final X509Certificate[] issuers;

        RecordingTrustManager(List<X509Certificate> cas) {
            this.issuers = cas.toArray(X509Certificate[]::new);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("server role only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("server role only");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("server role only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return issuers.clone();
        }
    }

}

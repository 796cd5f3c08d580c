package dev.postern.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Client-side TLS for the SMTP delivery agent. The handshake accepts any server certificate; the
 * verdict is made afterwards ({@link #check}) against the CA file only (never the JDK's trust
 * store, like Postfix's tls_append_default_CA=no) so the agent can log and defer with Postfix's
 * wording. No SNI is sent unless smtp_tls_servername or a policy's servername= asks for it, as in
 * Postfix.
 *
 * <p>With a session cache ({@link ClientTlsSettings#sessionCacheTimeout}), engines created for a
 * cache name ({@link ClientSessionCache}) offer the session Netty filed under that name, and a
 * resumed handshake is judged like a full one: BoringSSL keeps the server's chain in the session
 * (SSLSession.getPeerCertificates() returns it after a TLS 1.2 or 1.3 resumption, as after the
 * full handshake), so {@link #check} and {@link #fingerprintMatches} see the very certificates that
 * handshake proved, against today's CA file, clock and names.
 */
public final class TlsClient {
    private final ClientTlsSettings settings;
    private final Set<TrustAnchor> anchors;
    private final PrivateKey key;
    private final X509Certificate[] chain;
    private final boolean openSsl;
    /** One context per distinct protocols/ciphers combination a policy asks for; few in practice. */
    private final Map<ClientTlsOptions, SslContext> contexts = new ConcurrentHashMap<>();
    /** Null when sessions are not cached. */
    private final ClientSessionCache sessions;

    private TlsClient(ClientTlsSettings settings, Set<TrustAnchor> anchors, PrivateKey key, X509Certificate[] chain,
                      ClientSessionCache sessions) {
        this.settings = settings;
        this.anchors = anchors;
        this.key = key;
        this.chain = chain;
        this.openSsl = OpenSsl.isAvailable();
        this.sessions = sessions;
    }

    public static TlsClient create(ClientTlsSettings s) throws TlsSetupException {
        return create(s, java.time.InstantSource.system());
    }

    /** With this clock for the session cache's lifetimes (tests). */
    public static TlsClient create(ClientTlsSettings s, java.time.InstantSource clock) throws TlsSetupException {
        List<X509Certificate> cas = s.caFile() == null ? List.of() : Pem.certificates(s.caFile(), "smtp_tls_CAfile");
        Set<TrustAnchor> anchors = new HashSet<>();
        cas.forEach(c -> anchors.add(new TrustAnchor(c, null)));
        PrivateKey key = null;
        X509Certificate[] chain = null;
        if (s.certFile() != null) {
            List<X509Certificate> certs = Pem.certificates(s.certFile(), "smtp_tls_cert_file");
            key = Pem.privateKey(s.keyFile(), "smtp_tls_key_file");
            KeyMatch.check(key, certs.get(0), s.keyFile(), s.certFile(), "smtp_tls_key_file", "smtp_tls_cert_file");
            chain = certs.toArray(X509Certificate[]::new);
        }
        java.time.Duration timeout = ClientSessionCache.effectiveTimeout(s.sessionCacheTimeout());
        ClientSessionCache sessions = timeout.isZero() ? null : new ClientSessionCache(timeout, clock);
        TlsClient c = new TlsClient(s, anchors, key, chain, sessions);
        c.context(new ClientTlsOptions(s.protocols(), "medium", List.of())); // fail now, not at the first delivery
        return c;
    }

    /** @throws TlsSetupException when the options leave no protocol or cipher */
    public void validate(ClientTlsOptions options) throws TlsSetupException {
        context(options);
    }

    private SslContext context(ClientTlsOptions o) throws TlsSetupException {
        SslContext c = contexts.get(o);
        if (c != null) {
            return c;
        }
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(openSsl ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols(Protocols.parse(o.protocols()))
                    .ciphers(CipherGrades.suites(o.cipherGrade(), o.exclude(), openSsl))
                    .trustManager(new AcceptAll())
                    // The verdict is check()'s, after the handshake: no hostname check of Netty's
                    // (4.2 turns on HTTPS's for clients), which the cache names must never meet.
                    .endpointIdentificationAlgorithm(null);
            if (sessions != null) {
                // Netty's own limit on a cached session's age: twice the cache's, as Postfix sets
                // OpenSSL's (tls_client.c), so the cache's timeout is the one that counts.
                b.sessionTimeout(Math.min(Integer.MAX_VALUE, 2 * sessions.timeout().toSeconds()));
                // Netty's default keeps 20,480 native sessions per context (two per TLS 1.3 full
                // handshake); sessions under names the index dropped wait there for eviction.
                b.sessionCacheSize(ClientSessionCache.MAX_ENTRIES * 2L);
            }
            if (key != null) { // an RSA key signs through OpenSSL 3's libcrypto, as the server's
                NativeRsaKey.keyManager(b, openSsl ? SslProvider.OPENSSL : SslProvider.JDK, key, chain);
            }
            c = b.build();
        } catch (java.io.IOException | java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new TlsSetupException("cannot set up client TLS: " + e.getMessage(), e);
        }
        SslContext raced = contexts.putIfAbsent(o, c);
        return raced != null ? raced : c;
    }

    /** With the default protocols (smtp_tls_protocols) and the medium grade. */
    public SslHandler newHandler(ByteBufAllocator alloc) {
        try {
            return newHandler(alloc, new ClientTlsOptions(settings.protocols(), "medium", List.of()));
        } catch (TlsSetupException e) {
            throw new IllegalStateException(e); // built and checked in create()
        }
    }

    public SslHandler newHandler(ByteBufAllocator alloc, ClientTlsOptions options) throws TlsSetupException {
        return newHandler(alloc, options, null);
    }

    /**
     * @param sni the name to send in Server Name Indication, or null for none. Set through the
     *        engine's parameters, not as the engine's peer host: that turns on Netty's client
     *        session cache, which only {@link #newHandler(ByteBufAllocator, ClientTlsOptions, String, String, int)} wants.
     */
    public SslHandler newHandler(ByteBufAllocator alloc, ClientTlsOptions options, String sni) throws TlsSetupException {
        return newHandler(alloc, options, sni, null, 0);
    }

    /**
     * @param cacheName null for no session resumption; otherwise a name from {@link #sessions()}:
     *        the engine offers the session filed under it (one a server accepted after a handshake
     *        with the same options, cacheName telling servers and policies apart), and a new
     *        session is filed under it. Never sent: it is no host name (it has a {@code &}).
     * @param port the server's port (Netty files sessions by name and port)
     */
    public SslHandler newHandler(ByteBufAllocator alloc, ClientTlsOptions options, String sni, String cacheName, int port)
            throws TlsSetupException {
        SSLEngine engine;
        if (cacheName == null) {
            engine = context(options).newEngine(alloc);
        } else {
            if (sessions == null || cacheName.indexOf('&') < 0) {
                throw new IllegalArgumentException("not a session cache name: " + cacheName);
            }
            engine = context(options).newEngine(alloc, cacheName, port);
        }
        if (sni != null) {
            SNIHostName name;
            try {
                name = new SNIHostName(sni);
            } catch (IllegalArgumentException e) { // checked before; a configuration problem, never an escaping exception
                io.netty.util.ReferenceCountUtil.release(engine);
                throw new TlsSetupException("SNI name \"" + sni + "\": " + e.getMessage(), e);
            }
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(name));
            engine.setSSLParameters(p);
        }
        return new SslHandler(engine);
    }

    /** The session cache, or null when sessions are not cached (smtp_tls_session_cache_database empty). */
    public ClientSessionCache sessions() {
        return sessions;
    }

    /** Whether the handshake resumed a cached session (OpenSSL provider; with the JDK's engine: false). */
    public static boolean resumed(SSLEngine engine) {
        return TlsServer.resumed(engine);
    }

    /** The earliest expiry among the peer's certificates, or null when it showed none. */
    public static java.time.Instant chainNotAfter(SSLSession session) {
        try {
            return Arrays.stream(session.getPeerCertificates()).map(c -> ((X509Certificate) c).getNotAfter().toInstant())
                    .min(java.util.Comparator.naturalOrder()).orElse(null);
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Frees the sessions the contexts hold (native memory) when the SMTP client is replaced or
     * retired, rather than when a collection finalizes the contexts.
     */
    public void close() {
        for (SslContext c : contexts.values()) {
            if (c.sessionContext() instanceof io.netty.handler.ssl.OpenSslSessionContext o) {
                o.setSessionCacheEnabled(false); // clears Netty's cache of this context
            }
            io.netty.util.ReferenceCountUtil.release(c); // a no-op for contexts freed by finalization
        }
        contexts.clear();
    }

    /**
     * The fingerprint level: does the server's leaf certificate, or its public key, have one of
     * {@code fingerprints} (hex, colons optional, any case) in {@code digest}? Neither the CA nor
     * the expiry date matters at this level, as in Postfix.
     */
    public static boolean fingerprintMatches(SSLSession session, List<String> fingerprints, String digest) {
        X509Certificate leaf;
        try {
            leaf = (X509Certificate) session.getPeerCertificates()[0];
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return false;
        }
        CertificateJudge j = new CertificateJudge(List.of(), digest);
        String cert;
        try {
            cert = normalize(j.fingerprint(leaf.getEncoded()));
        } catch (java.security.cert.CertificateEncodingException e) {
            return false;
        }
        String pkey = normalize(j.fingerprint(leaf.getPublicKey().getEncoded()));
        for (String f : fingerprints) {
            String n = normalize(f);
            if (!n.isEmpty() && (n.equals(cert) || n.equals(pkey))) {
                return true;
            }
        }
        return false;
    }

    /** The leaf's certificate fingerprint in {@code digest}, as Postfix logs it (upper case, colons). */
    public static String certificateFingerprint(SSLSession session, String digest) {
        try {
            X509Certificate leaf = (X509Certificate) session.getPeerCertificates()[0];
            return new CertificateJudge(List.of(), digest).fingerprint(leaf.getEncoded());
        } catch (Exception e) {
            return "";
        }
    }

    private static String normalize(String fingerprint) {
        return fingerprint.replace(":", "").trim().toLowerCase(Locale.ROOT);
    }

    /** Chain against the CA file; names: any certificate name matching any of {@code names} (see {@link #matches}). */
    public ServerCertificateCheck check(SSLSession session, Collection<String> names, boolean allowSubdomains) {
        X509Certificate[] chain;
        try {
            chain = Arrays.stream(session.getPeerCertificates()).map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
        } catch (SSLPeerUnverifiedException e) {
            return new ServerCertificateCheck(false, false, "", "no server certificate");
        }
        X509Certificate leaf = chain[0];
        String cn = CertificateJudge.commonName(leaf.getSubjectX500Principal().getName());
        String problem = null;
        boolean trusted = false;
        try {
            leaf.checkValidity();
            List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
            path.removeIf(c -> anchors.stream().anyMatch(a -> a.getTrustedCert().equals(c)));
            if (anchors.isEmpty()) {
                problem = "no smtp_tls_CAfile to verify against";
            } else if (path.isEmpty()) {
                trusted = true;
            } else {
                PKIXParameters p = new PKIXParameters(anchors);
                p.setRevocationEnabled(false);
                CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), p);
                trusted = true;
            }
        } catch (java.security.cert.CertificateExpiredException e) {
            problem = "certificate has expired";
        } catch (Exception e) {
            problem = "untrusted issuer " + CertificateJudge.slashName(leaf.getIssuerX500Principal().getName());
        }
        boolean matched = false;
        for (String certName : certificateNames(leaf, cn)) {
            for (String want : names) {
                if (matches(certName, want, allowSubdomains)) {
                    matched = true;
                }
            }
        }
        if (problem == null && !matched) {
            problem = "server certificate name mismatch: " + String.join(", ", certificateNames(leaf, cn));
        }
        return new ServerCertificateCheck(trusted, matched, cn, problem);
    }

    /** SAN dNSNames; the CN only when there is none (RFC 6125, Postfix). */
    static List<String> certificateNames(X509Certificate c, String cn) {
        List<String> out = new ArrayList<>();
        try {
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    if (((Integer) san.get(0)) == 2) {
                        out.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (Exception ignored) {
            // unparsable SAN: treat as absent
        }
        if (out.isEmpty() && !cn.isEmpty()) {
            out.add(cn.toLowerCase(Locale.ROOT));
        }
        return out;
    }

    /**
     * {@code certName} matches {@code want} exactly, or as {@code *.rest} where * is one whole
     * left-most label; with {@code allowSubdomains} (Postfix dot-nexthop) also any name below it.
     */
    public static boolean matches(String certName, String want, boolean allowSubdomains) {
        String c = certName.toLowerCase(Locale.ROOT);
        String w = want.toLowerCase(Locale.ROOT);
        if (c.equals(w)) {
            return true;
        }
        if (c.startsWith("*.")) {
            int dot = w.indexOf('.');
            if (dot > 0 && w.substring(dot).equals(c.substring(1))) {
                return true;
            }
        }
        return allowSubdomains && c.endsWith("." + w) && !c.startsWith("*");
    }

    private static final class AcceptAll extends io.netty.handler.ssl.util.SimpleTrustManagerFactory {
        private final X509ExtendedTrustManager tm = new X509ExtendedTrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
            public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
            public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            public void checkClientTrusted(X509Certificate[] c, String a) { }
            public void checkServerTrusted(X509Certificate[] c, String a) { }
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };

        @Override
        protected void engineInit(java.security.KeyStore keyStore) {
        }

        @Override
        protected void engineInit(javax.net.ssl.ManagerFactoryParameters managerFactoryParameters) {
        }

        @Override
        protected javax.net.ssl.TrustManager[] engineGetTrustManagers() {
            return new javax.net.ssl.TrustManager[] {tm};
        }
    }
}

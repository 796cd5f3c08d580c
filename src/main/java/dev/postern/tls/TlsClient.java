package dev.postern.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLEngine;
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
import java.util.Set;

/**
 * Client-side TLS for the SMTP delivery agent. The handshake accepts any server certificate; the
 * verdict is made afterwards ({@link #check}) against the CA file only (never the JDK's trust
 * store, like Postfix's tls_append_default_CA=no) so the agent can log and defer with Postfix's
 * wording. No SNI is sent, as Postfix does by default.
 */
public final class TlsClient {
    private final SslContext context;
    private final Set<TrustAnchor> anchors;

    private TlsClient(SslContext context, Set<TrustAnchor> anchors) {
        this.context = context;
        this.anchors = anchors;
    }

    public static TlsClient create(ClientTlsSettings s) throws TlsSetupException {
        List<X509Certificate> cas = s.caFile() == null ? List.of() : Pem.certificates(s.caFile(), "smtp_tls_CAfile");
        Set<TrustAnchor> anchors = new HashSet<>();
        cas.forEach(c -> anchors.add(new TrustAnchor(c, null)));
        try {
            SslContextBuilder b = SslContextBuilder.forClient()
                    .sslProvider(OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK)
                    .protocols(Protocols.parse(s.protocols()))
                    .trustManager(new AcceptAll());
            if (s.certFile() != null) {
                List<X509Certificate> chain = Pem.certificates(s.certFile(), "smtp_tls_cert_file");
                PrivateKey key = Pem.privateKey(s.keyFile(), "smtp_tls_key_file");
                KeyMatch.check(key, chain.get(0), s.keyFile(), s.certFile(), "smtp_tls_key_file", "smtp_tls_cert_file");
                b.keyManager(key, chain.toArray(X509Certificate[]::new));
            }
            return new TlsClient(b.build(), anchors);
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            throw new TlsSetupException("cannot set up client TLS: " + e.getMessage(), e);
        }
    }

    public SslHandler newHandler(ByteBufAllocator alloc) {
        SSLEngine engine = context.newEngine(alloc);
        return new SslHandler(engine);
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

package dev.postern.cli.bench;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The load generator's check of the server's certificate: the JDK's PKIX validation against the
 * given CA, once per distinct chain and peer host; the same chain (byte for byte) for the same host
 * is accepted again without validating it again.
 *
 * <p>Why: the generator shares the machine with the server it measures, and the JDK's PKIX path
 * validation (a Java RSA verification and path building per handshake) costs it more than a real
 * client pays (smtplib and swaks verify with OpenSSL, in C), all of it charged to the machine both
 * MTAs are measured on. A changed certificate is a different key here, so it is validated.
 */
final class RememberingTrustManager extends X509ExtendedTrustManager {
    private static final int MAX_REMEMBERED = 1024;

    private final X509ExtendedTrustManager pkix;
    private final Set<List<Object>> verified = ConcurrentHashMap.newKeySet();

    private RememberingTrustManager(X509ExtendedTrustManager pkix) {
        this.pkix = pkix;
    }

    /** PKIX against the certificates of {@code cas}, remembering what it accepted. */
    static RememberingTrustManager trusting(List<X509Certificate> cas) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        for (int i = 0; i < cas.size(); i++) {
            ks.setCertificateEntry("ca" + i, cas.get(i));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        for (var tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return new RememberingTrustManager(x);
            }
        }
        throw new IllegalStateException("no X509ExtendedTrustManager from " + tmf.getAlgorithm());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        List<Object> key = key(chain, authType, engine == null ? null : engine.getPeerHost());
        if (!verified.contains(key)) {
            pkix.checkServerTrusted(chain, authType, engine); // hostname too, when the engine asks for it
            remember(key);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        pkix.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return ((X509TrustManager) pkix).getAcceptedIssuers();
    }

    private void remember(List<Object> key) {
        if (verified.size() >= MAX_REMEMBERED) {
            verified.clear(); // a bound, not a cache policy: one benchmark sees one or two chains
        }
        verified.add(key);
    }

    /** The peer host, the key exchange's auth type and every certificate's DER bytes: equal only for the same chain. */
    private static List<Object> key(X509Certificate[] chain, String authType, String host) throws CertificateException {
        List<Object> key = new ArrayList<>(chain.length + 2);
        key.add(String.valueOf(host));
        key.add(String.valueOf(authType));
        try {
            for (X509Certificate c : chain) {
                key.add(ByteBuffer.wrap(c.getEncoded()));
            }
        } catch (CertificateEncodingException e) {
            throw new CertificateException(e);
        }
        return key;
    }
}

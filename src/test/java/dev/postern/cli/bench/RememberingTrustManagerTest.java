package dev.postern.cli.bench;

import dev.postern.tls.Pem;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The load generator's server check remembers only what PKIX accepted: a chain from another CA is
 * refused every time (never remembered), the CA's own server chain is accepted, again and again.
 */
class RememberingTrustManagerTest {
    @TempDir
    Path dir;

    @Test
    void remembersOnlyWhatPkixAccepted() throws Exception {
        TestPki pki = TestPki.create(dir);
        RememberingTrustManager tm = RememberingTrustManager.trusting(Pem.certificates(pki.caFile(), "--ca"));
        X509Certificate[] good = chain(pki.serverCertFile(), pki.caCertificate());
        X509Certificate[] foreign = Pem.certificates(pki.badCaClient().certFile(), "--cert").toArray(X509Certificate[]::new);
        for (int i = 0; i < 3; i++) {
            assertThrows(CertificateException.class, () -> tm.checkServerTrusted(foreign, "RSA", (javax.net.ssl.SSLEngine) null));
            assertDoesNotThrow(() -> tm.checkServerTrusted(good, "RSA", (javax.net.ssl.SSLEngine) null));
        }
    }

    private static X509Certificate[] chain(Path leaf, X509Certificate ca) throws Exception {
        X509Certificate[] c = Pem.certificates(leaf, "--cert").toArray(X509Certificate[]::new);
        return c.length > 1 ? c : new X509Certificate[] {c[0], ca};
    }
}

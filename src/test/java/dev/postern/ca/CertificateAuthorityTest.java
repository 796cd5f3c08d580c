package dev.postern.ca;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CertificateAuthorityTest {
    @TempDir
    Path dir;

    @Test
    void persistedCaIssuesCertificatesOpensslAccepts() throws Exception {
        CertificateAuthority.init(dir.resolve("ca"), "Example CA", Duration.ofDays(10));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca/ca-key.pem"))));
        CertificateAuthority ca = CertificateAuthority.load(dir.resolve("ca"));
        IssuedCertificate server = ca.issueServer("mail.example.com", List.of("mail.example.com"), Duration.ofDays(5));
        IssuedCertificate client = ca.issueClient("desktop.example.com", Duration.ofDays(5));
        server.writePem(dir.resolve("server.pem"), dir.resolve("server-key.pem"));
        client.writePem(dir.resolve("client.pem"), dir.resolve("client-key.pem"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("client-key.pem"))));
        X509Certificate c = client.certificate();
        c.verify(ca.certificate().getPublicKey());
        assertTrue(c.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"));
        assertThrows(java.io.IOException.class, () -> CertificateAuthority.init(dir.resolve("ca"), "Again", Duration.ofDays(1)),
                "never overwrite a CA");

        Peers.require("openssl", "openssl");
        Path caPem = dir.resolve("ca/ca-cert.pem");
        Peers.Result v = Peers.run(Duration.ofSeconds(20), null, List.of("openssl", "verify", "-purpose", "sslclient",
                "-CAfile", caPem.toString(), dir.resolve("client.pem").toString()));
        assertEquals(0, v.exit(), v.out() + v.err());
        Peers.Result s = Peers.run(Duration.ofSeconds(20), null, List.of("openssl", "verify", "-purpose", "sslserver",
                "-CAfile", caPem.toString(), dir.resolve("server.pem").toString()));
        assertEquals(0, s.exit(), s.out() + s.err());
        Peers.Result k = Peers.run(Duration.ofSeconds(20), null, List.of("openssl", "pkey", "-in",
                dir.resolve("client-key.pem").toString(), "-noout"));
        assertEquals(0, k.exit(), "the key is unencrypted PEM openssl reads without a password: " + k.err());
    }
}

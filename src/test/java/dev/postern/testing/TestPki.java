package dev.postern.testing;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.ca.Profile;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The seed's certificate set, minted per test by Postern's CA: a CA, a server certificate for
 * localhost, a good client certificate, a "bad" CA with its own client certificate, plus an
 * expired and a server-only client certificate. All written as PEM files.
 */
public final class TestPki {
    /** A client certificate and where its PEM files are. */
    public record Client(X509Certificate certificate, PrivateKey key, Path certFile, Path keyFile, String commonName) {
    }

    private final CertificateAuthority ca;
    private final Path dir;
    private final Client good;
    private final Client badCa;
    private final Client expired;
    private final Client serverOnly;
    private final Path serverCert;
    private final Path serverKey;

    private TestPki(CertificateAuthority ca, Path dir, Client good, Client badCa, Client expired, Client serverOnly,
                    Path serverCert, Path serverKey) {
        this.ca = ca;
        this.dir = dir;
        this.good = good;
        this.badCa = badCa;
        this.expired = expired;
        this.serverOnly = serverOnly;
        this.serverCert = serverCert;
        this.serverKey = serverKey;
    }

    public static TestPki create(Path dir) throws IOException {
        CertificateAuthority ca = CertificateAuthority.create("Postern Test CA", Duration.ofDays(30));
        CertificateAuthority bad = CertificateAuthority.create("Bad CA", Duration.ofDays(30));
        java.nio.file.Files.createDirectories(dir);
        writeCa(ca, dir.resolve("CAcert.pem"));
        writeCa(bad, dir.resolve("bad-CAcert.pem"));
        IssuedCertificate server = ca.issueServer("localhost", List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        server.writePem(dir.resolve("server-cert.pem"), dir.resolve("server-key.pem"));
        Client good = client(ca.issueClient("desktop.example.org", Duration.ofDays(30)), dir, "client", "desktop.example.org");
        Client badCa = client(bad.issueClient("desktop.example.org", Duration.ofDays(30)), dir, "bad-client", "desktop.example.org");
        Client expired = client(ca.issue("expired.example.org", Profile.CLIENT, List.of(),
                Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1))), dir, "expired", "expired.example.org");
        Client serverOnly = client(ca.issue("server-only.example.org", Profile.SERVER, List.of("server-only.example.org"),
                Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(1))), dir, "server-only", "server-only.example.org");
        return new TestPki(ca, dir, good, badCa, expired, serverOnly, dir.resolve("server-cert.pem"), dir.resolve("server-key.pem"));
    }

    private static void writeCa(CertificateAuthority ca, Path file) throws IOException {
        java.nio.file.Files.writeString(file, ca.certificatePem());
    }

    private static Client client(IssuedCertificate c, Path dir, String name, String cn) throws IOException {
        Path cert = dir.resolve(name + "-cert.pem");
        Path key = dir.resolve(name + "-key.pem");
        c.writePem(cert, key);
        return new Client(c.certificate(), c.privateKey(), cert, key, cn);
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public X509Certificate caCertificate() {
        return ca.certificate();
    }

    public String caCommonName() {
        return "Postern Test CA";
    }

    public Path caFile() {
        return dir.resolve("CAcert.pem");
    }

    public Path badCaFile() {
        return dir.resolve("bad-CAcert.pem");
    }

    public Path serverCertFile() {
        return serverCert;
    }

    public Path serverKeyFile() {
        return serverKey;
    }

    public Client goodClient() {
        return good;
    }

    public Client badCaClient() {
        return badCa;
    }

    public Client expiredClient() {
        return expired;
    }

    public Client serverOnlyClient() {
        return serverOnly;
    }
}

package dev.postern.cli;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.ca.Profile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern check} speaks up about smtpd certificates where Postfix is silent. */
class CertificateCheckTest {
    @TempDir
    Path dir;

    private String check(IssuedCertificate server, String extraMain) throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Check CA", Duration.ofDays(10));
        Files.writeString(dir.resolve("ca.pem"), ca.certificatePem());
        Result r = run(server, extraMain);
        assertEquals(0, r.code(), r.out() + r.err());
        return r.err();
    }

    private record Result(int code, String out, String err) {
    }

    /** postern check with the server certificate and dir/ca.pem (written by the caller) as smtpd_tls_CAfile. */
    private Result run(IssuedCertificate server, String extraMain) throws Exception {
        server.writePem(dir.resolve("server.pem"), dir.resolve("server-key.pem"));
        Files.writeString(dir.resolve("main.cf"), "myhostname = mail.example.com\nqueue_directory = " + dir.resolve("q")
                + "\nsmtpd_tls_cert_file = " + dir.resolve("server.pem") + "\nsmtpd_tls_key_file = " + dir.resolve("server-key.pem")
                + "\nsmtpd_tls_CAfile = " + dir.resolve("ca.pem") + "\nsmtpd_tls_security_level = may\n" + extraMain);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "-c", dir.toString(), "check");
        return new Result(code, out.toString(), err.toString());
    }

    private static IssuedCertificate goodServer() {
        return CertificateAuthority.create("Issuer", Duration.ofDays(1000))
                .issueServer("mail.example.com", List.of("mail.example.com"), Duration.ofDays(400));
    }

    private void writeCa(Duration validity) throws Exception {
        Files.writeString(dir.resolve("ca.pem"), CertificateAuthority.create("Check CA", validity).certificatePem());
    }

    /** check says which code will do each service's TLS, as the daemon's start-up line does. */
    @Test
    void checkNamesWhoSignsForEachService() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.handler.ssl.OpenSsl.isAvailable(), "no OpenSSL provider");
        writeCa(Duration.ofDays(100));
        Result ec = run(goodServer(), "");
        assertEquals(0, ec.code(), ec.out() + ec.err());
        assertTrue(ec.out().contains("postern: service 127.0.0.1:0: TLS by BoringSSL\n"), ec.out());

        IssuedCertificate rsa = CertificateAuthority.create("RSA Issuer", Duration.ofDays(1000),
                CertificateAuthority.KeyType.RSA_2048).issueServer("mail.example.com", List.of("mail.example.com"), Duration.ofDays(400));
        Result r = run(rsa, "");
        assertEquals(0, r.code(), r.out() + r.err());
        String signer = dev.postern.tls.NativeRsaKey.status();
        String expected = signer.startsWith("OpenSSL") ? "TLS by BoringSSL; RSA key operations by " + signer + "\n"
                : "TLS by BoringSSL\n"; // no libpostern_rsa.so in this build (CI requires it elsewhere)
        assertTrue(r.out().contains("postern: service 127.0.0.1:0: " + expected), r.out());
    }

    @Test
    void anExpiredServerCertificateIsAnErrorNamingTheLine() throws Exception {
        writeCa(Duration.ofDays(100));
        IssuedCertificate expired = CertificateAuthority.create("Issuer", Duration.ofDays(100)).issue("mail.example.com",
                Profile.SERVER, List.of("mail.example.com"), Instant.now().minus(Duration.ofDays(20)),
                Instant.now().minus(Duration.ofDays(2)));
        Result r = run(expired, "");
        assertTrue(r.code() != 0, r.out() + r.err());
        assertTrue(r.err().contains("main.cf:3: service 127.0.0.1:0: smtpd_tls_cert_file " + dir.resolve("server.pem")
                + ": the certificate [mail.example.com] expired at "), r.err());
        assertTrue(r.err().contains("renew it (postern ca server"), r.err());
    }

    @Test
    void anExpiredCaFileIsAnError() throws Exception {
        CertificateAuthority old = CertificateAuthority.create("Old CA", Duration.ofDays(100));
        // A CA certificate whose validity ended yesterday: issued by itself with a past window.
        Files.writeString(dir.resolve("ca.pem"), old.issue("Old CA leaf", Profile.CLIENT, List.of(),
                Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1))).certificatePem());
        Result r = run(goodServer(), "");
        assertTrue(r.code() != 0, r.out() + r.err());
        assertTrue(r.err().contains("main.cf:5: service 127.0.0.1:0: smtpd_tls_CAfile " + dir.resolve("ca.pem") + ": the CA certificate /CN=Old CA leaf expired at "),
                r.err());
    }

    @Test
    void aKeyThatDoesNotMatchIsAnError() throws Exception {
        writeCa(Duration.ofDays(100));
        IssuedCertificate other = goodServer();
        Result r = run(goodServer(), "");
        assertEquals(0, r.code(), r.err());
        other.writePem(dir.resolve("other.pem"), dir.resolve("other-key.pem"));
        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                .replace(dir.resolve("server-key.pem").toString(), dir.resolve("other-key.pem").toString()));
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "-c", dir.toString(), "check");
        assertTrue(code != 0, err.toString());
        assertTrue(err.toString().contains("main.cf:4: ") && err.toString().contains("does not match the certificate in"), err.toString());
    }

    @Test
    void anEmptyOrMissingCaFileIsAnError() throws Exception {
        Files.writeString(dir.resolve("ca.pem"), "");
        Result empty = run(goodServer(), "");
        assertTrue(empty.code() != 0, empty.err());
        assertTrue(empty.err().contains("smtpd_tls_CAfile " + dir.resolve("ca.pem") + ": no certificate found"), empty.err());
        Files.delete(dir.resolve("ca.pem"));
        Result missing = run(goodServer(), "");
        assertTrue(missing.code() != 0, missing.err());
        assertTrue(missing.err().contains("smtpd_tls_CAfile " + dir.resolve("ca.pem") + ": cannot read"), missing.err());
    }

    @Test
    void authExternalWhereItCannotWorkOrIsDangerousIsWarnedAbout() throws Exception {
        writeCa(Duration.ofDays(100));
        Result neverOffered = run(goodServer(), "postern_smtpd_auth_external = yes\n");
        assertEquals(0, neverOffered.code(), neverOffered.err());
        assertTrue(neverOffered.err().contains("postern_smtpd_auth_external = yes, but the service does not ask for client "
                + "certificates (smtpd_tls_ask_ccert = no), so AUTH EXTERNAL is never offered"), neverOffered.err());
        Result privateCa = run(goodServer(), "postern_smtpd_auth_external = yes\nsmtpd_tls_ask_ccert = yes\n");
        assertFalse(privateCa.err().contains("postern_smtpd_auth_external"), privateCa.err());
        StringBuilder bundle = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            bundle.append(CertificateAuthority.create("Public CA " + i, Duration.ofDays(100)).certificatePem());
        }
        Files.writeString(dir.resolve("ca.pem"), bundle);
        Result publicBundle = run(goodServer(), "postern_smtpd_auth_external = yes\nsmtpd_tls_ask_ccert = yes\n");
        assertEquals(0, publicBundle.code(), publicBundle.err());
        assertTrue(publicBundle.err().contains("holding 12 CA certificates (a public bundle?): any certificate they issued "
                + "can authenticate and relay through permit_sasl_authenticated"), publicBundle.err());
    }

    @Test
    void anExpiredCrlIsReported() throws Exception {
        Path caDir = dir.resolve("cadir");
        CertificateAuthority.init(caDir, "CRL CA", Duration.ofDays(100));
        Files.copy(caDir.resolve("ca-cert.pem"), dir.resolve("ca.pem"));
        java.security.cert.X509CRL crl = dev.postern.ca.CaDirectory.open(caDir).crl(Duration.ofDays(-1));
        Files.write(dir.resolve("expired.crl"), crl.getEncoded());
        Result r = run(goodServer(), "postern_smtpd_tls_crl_file = " + dir.resolve("expired.crl") + "\n");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("postern_smtpd_tls_crl_file: CRL " + dir.resolve("expired.crl") + " from /CN=CRL CA expired at "),
                r.err());
        assertTrue(r.err().contains("no client certificate is trusted until a current CRL is installed"), r.err());
    }

    @Test
    void expiringMisnamedClientOnlyServerCertificateIsReported() throws Exception {
        CertificateAuthority other = CertificateAuthority.create("Issuer", Duration.ofDays(100));
        IssuedCertificate c = other.issue("desktop.example.org", Profile.CLIENT, List.of(), Instant.now().minus(Duration.ofDays(1)),
                Instant.now().plus(Duration.ofDays(3)));
        String err = check(c, "");
        assertTrue(err.contains("the certificate expires at ") && err.contains(", in 2 days; renew it"), err);
        assertTrue(err.contains("do not cover myhostname mail.example.com"), err);
        assertTrue(err.contains("is not for TLS servers (no serverAuth"), err);
        assertTrue(err.contains("smtpd_tls_CAfile " + dir.resolve("ca.pem") + " (/CN=Check CA): the certificate expires at"), err);
    }

    @Test
    void aGoodServerCertificateIsQuietAndAnUnreadableCrlIsNot() throws Exception {
        CertificateAuthority other = CertificateAuthority.create("Issuer", Duration.ofDays(1000));
        IssuedCertificate c = other.issueServer("mail.example.com", List.of("mail.example.com"), Duration.ofDays(400));
        String err = check(c, "postern_smtpd_tls_crl_file = " + dir.resolve("missing.crl") + "\n");
        assertFalse(err.contains("smtpd_tls_cert_file"), err);
        assertTrue(err.contains("postern_smtpd_tls_crl_file: CRL file " + dir.resolve("missing.crl") + " is unreadable"), err);
    }
}

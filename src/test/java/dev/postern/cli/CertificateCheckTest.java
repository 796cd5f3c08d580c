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
        server.writePem(dir.resolve("server.pem"), dir.resolve("server-key.pem"));
        Files.writeString(dir.resolve("main.cf"), "myhostname = mail.example.com\nqueue_directory = " + dir.resolve("q")
                + "\nsmtpd_tls_cert_file = " + dir.resolve("server.pem") + "\nsmtpd_tls_key_file = " + dir.resolve("server-key.pem")
                + "\nsmtpd_tls_CAfile = " + dir.resolve("ca.pem") + "\nsmtpd_tls_security_level = may\n" + extraMain);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "-c", dir.toString(), "check");
        assertEquals(0, code, out + "" + err);
        return err.toString();
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

package dev.postern.cli;

import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A private key that group or others can read is a warning at check (and start: the same plan). */
class KeyFilePermissionsTest {
    @TempDir
    Path dir;

    @Test
    void aKeyReadableByOthersIsReportedAnOwnerOnlyKeyIsNot() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path clientKey = dir.resolve("pki").resolve("client-key.pem");
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("q")
                + "\nsmtpd_tls_cert_file = " + pki.serverCertFile() + "\nsmtpd_tls_key_file = " + pki.serverKeyFile()
                + "\nsmtpd_tls_CAfile = " + pki.caFile() + "\nsmtpd_tls_security_level = may\n"
                + "smtp_tls_cert_file = " + dir.resolve("pki").resolve("client-cert.pem") + "\nsmtp_tls_key_file = " + clientKey + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        Files.setPosixFilePermissions(pki.serverKeyFile(), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(clientKey, PosixFilePermissions.fromString("rw-------"));
        assertFalse(check().contains("private key"), "0600 keys are quiet");

        Files.setPosixFilePermissions(pki.serverKeyFile(), PosixFilePermissions.fromString("rw-r-----"));
        Files.setPosixFilePermissions(clientKey, PosixFilePermissions.fromString("rw-r--r--"));
        String err = check();
        assertTrue(err.contains("postern: warning: smtpd_tls_key_file " + pki.serverKeyFile()
                + ": the private key is accessible to group or others (mode 0640 rw-r-----): chmod 600 " + pki.serverKeyFile()), err);
        assertTrue(err.contains("postern: warning: smtp_tls_key_file " + clientKey
                + ": the private key is accessible to group or others (mode 0644 rw-r--r--)"), err);
    }

    private String check() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "-c", dir.toString(), "check"), err.toString());
        return err.toString();
    }
}

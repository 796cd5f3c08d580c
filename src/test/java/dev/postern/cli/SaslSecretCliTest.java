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

/** conf and check show the SASL settings and the table's name, never a password from it. */
class SaslSecretCliTest {
    @TempDir
    Path dir;

    @Test
    void confAndCheckNeverShowThePassword() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Path table = dir.resolve("sasl_passwd");
        Files.writeString(table, "[smtp.isp.example]:587 alice:Sup3r-Secret\n");
        Files.setPosixFilePermissions(table, PosixFilePermissions.fromString("rw-r--r--"));
        Files.writeString(dir.resolve("main.cf"), "smtpd_tls_cert_file = " + pki.serverCertFile() + "\n"
                + "smtpd_tls_key_file = " + pki.serverKeyFile() + "\nsmtpd_tls_CAfile = " + pki.caFile() + "\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "relayhost = [smtp.isp.example]:587\nsmtp_tls_security_level = encrypt\n"
                + "smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:" + table + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        for (String[] args : new String[][] {{"conf"}, {"conf", "-n"}, {"conf", "smtp_sasl_password_maps"}, {"check"}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            String[] full = new String[args.length + 2];
            full[0] = "-c";
            full[1] = dir.toString();
            System.arraycopy(args, 0, full, 2, args.length);
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
            String all = out + "\n" + err;
            assertEquals(0, code, String.join(" ", args) + ":\n" + all);
            assertFalse(all.contains("Sup3r"), String.join(" ", args) + ":\n" + all);
            if (args[0].equals("check")) {
                // Postfix's defaults forbid PLAIN and LOGIN: said at check time, with the fix.
                assertTrue(all.contains("set smtp_sasl_tls_security_options = noanonymous"), all);
                assertTrue(all.contains("every user can read it"), all);
            } else {
                assertTrue(all.contains("smtp_sasl_password_maps = hash:" + table), all);
            }
        }
    }
}

package dev.postern.config;

import dev.postern.smtp.SmtpClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A master.cf transport's -o is honoured exactly for what the SMTP client reads from the
 * transport's configuration ({@link Params#perTransport}); anything else is warned about. Checked
 * against what {@link SmtpClientSettings#from} really reads, $name references followed.
 */
class TransportScopeTest {
    @TempDir
    Path dir;

    private Set<String> readBySmtpClient() throws Exception {
        Set<String> names = new TreeSet<>();
        Path passwords = dir.resolve("sasl_passwd");
        Files.writeString(passwords, "[smarthost.example] user:secret\n");
        Files.setPosixFilePermissions(passwords, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        for (String extra : List.of("", "smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:" + passwords + "\n"
                + "smtp_sasl_tls_security_options = noanonymous\n")) {
            Files.writeString(dir.resolve("main.cf"), "smtpd_recipient_restrictions = reject\n" + extra);
            Files.writeString(dir.resolve("master.cf"), "isp unix - - n - - smtp\n");
            Config c = ConfigLoader.load(dir).config();
            Config sc = c.forService(c.services().get(0));
            ServiceScopeTest.Recording rec = new ServiceScopeTest.Recording(sc, new TreeSet<>());
            SmtpClientSettings.from(rec);
            rec.get("syslog_name"); // server.Transports tags the transport's log lines with it
            ServiceScopeTest.addWithReferences(sc, rec.names(), names);
        }
        return names;
    }

    @Test
    void everyParameterTheSmtpClientReadsIsPerTransport() throws Exception {
        Set<String> falselyWarned = new TreeSet<>();
        for (String n : readBySmtpClient()) {
            if (Params.known(n) && !Params.perTransport(n)) {
                falselyWarned.add(n);
            }
        }
        assertEquals(Set.of(), falselyWarned, "the SMTP client honours -o for these: add them to Params.SMTP_TRANSPORT");
    }

    @Test
    void everyImplementedPerTransportParameterIsReadByTheSmtpClient() throws Exception {
        Set<String> read = readBySmtpClient();
        Set<String> silent = new TreeSet<>();
        for (Param p : Params.all().values()) {
            if (p.status() == Param.Status.IMPLEMENTED && Params.perTransport(p.name()) && !read.contains(p.name())) {
                silent.add(p.name());
            }
        }
        assertEquals(Set.of(), silent, "declared per transport, but an -o for them would be ignored in silence");
    }
}

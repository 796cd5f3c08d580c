package dev.postern.server;

import dev.postern.config.ConfigException;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mistakes in smtpd settings that only some configurations use are still found by check, at the
 * main.cf line that makes them: a TLS protocol list the current level does not read, and a bad
 * network entry, named by its own parameter.
 */
class CheckNamesTheLineTest {
    @TempDir
    Path dir;

    /** The seed's server side (encrypt, client certificates); {@code extra} is appended as lines 9 on. */
    private void write(String extra) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                + "smtpd_tls_cert_file = " + pki.serverCertFile() + "\nsmtpd_tls_key_file = " + pki.serverKeyFile() + "\n"
                + "smtpd_tls_CAfile = " + pki.caFile() + "\n"
                + "smtpd_tls_security_level = encrypt\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, permit_tls_all_clientcerts, reject\n" + extra);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd -o smtpd_tls_req_ccert=yes\n");
    }

    @Test
    void aProtocolListTheLevelDoesNotUseIsCheckedToo() throws Exception {
        write("smtpd_tls_protocols = bogus\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
        assertTrue(e.getMessage().startsWith("main.cf:9: "), e.getMessage());
        assertTrue(e.getMessage().contains("smtpd_tls_protocols: TLS protocol setting \"bogus\" leaves no protocol enabled"),
                e.getMessage());

        write("smtpd_tls_mandatory_protocols = >=TLSv1.4\n");
        e = assertThrows(ConfigException.class, () -> Server.plan(dir));
        assertTrue(e.getMessage().startsWith("main.cf:9: "), e.getMessage());
        assertTrue(e.getMessage().contains("smtpd_tls_mandatory_protocols: unknown TLS protocol \"TLSv1.4\""), e.getMessage());

        write("smtpd_tls_protocols = >=TLSv1.2\nsmtpd_tls_mandatory_protocols = TLSv1.3\n");
        assertDoesNotThrow(() -> Server.plan(dir));
    }

    @Test
    void aBadInetInterfacesEntryIsReportedAtItsLine() throws Exception {
        write("inet_interfaces = 127.0.0.1, 300.1.1.1\n");
        Files.writeString(dir.resolve("master.cf"), "2525 inet n - n - - smtpd -o smtpd_tls_req_ccert=yes\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
        assertTrue(e.getMessage().startsWith("main.cf:9: service 2525: inet_interfaces: cannot resolve listen address \"300.1.1.1\""),
                e.getMessage());
    }

    @Test
    void aQueueDirectoryThatIsAFileIsAnError() throws Exception {
        write("");
        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")).replace("queue_directory = "
                + dir.resolve("queue"), "queue_directory = " + dir.resolve("a-file")));
        Files.writeString(dir.resolve("a-file"), "not a spool\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
        assertTrue(e.getMessage().startsWith("main.cf:2: queue_directory " + dir.resolve("a-file") + " is not a directory"),
                e.getMessage());
    }

    @Test
    void aBadNetworkEntryIsReportedAtItsParametersLine() throws Exception {
        write("mynetworks = 127.0.0.0/8, 10.0.0.0/99\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
        assertTrue(e.getMessage().startsWith("main.cf:9: "), e.getMessage());
        assertTrue(e.getMessage().contains("mynetworks: bad network entry \"10.0.0.0/99\""), e.getMessage());

        write("smtpd_forbid_bare_newline_exclusions = 192.0.2.300\n");
        e = assertThrows(ConfigException.class, () -> Server.plan(dir));
        assertTrue(e.getMessage().startsWith("main.cf:9: "), e.getMessage());
        assertTrue(e.getMessage().contains("smtpd_forbid_bare_newline_exclusions: bad network entry \"192.0.2.300\""),
                e.getMessage());
    }
}

package dev.postern.smtp;

import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** smtp_sasl_* read from a real main.cf: Postfix's defaults, and mistakes reported at file:line with the fix. */
class SaslSettingsTest {
    @TempDir
    Path dir;

    private Path confDir(String mainCf) throws Exception {
        Path d = Files.createTempDirectory(dir, "cf");
        Files.writeString(d.resolve("main.cf"), "queue_directory = " + d.resolve("queue") + "\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n" + mainCf);
        Files.writeString(d.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        return d;
    }

    private SaslSettings settings(String mainCf) throws Exception {
        return SaslSettings.from(ConfigLoader.load(confDir(mainCf)).config());
    }

    @Test
    void postfixDefaults() throws Exception {
        SaslSettings s = settings("");
        assertFalse(s.enabled());
        assertEquals(Set.of("noplaintext", "noanonymous"), s.securityOptions());
        assertEquals(Set.of("noplaintext", "noanonymous"), s.tlsSecurityOptions(), "$smtp_sasl_security_options");
        assertFalse(s.senderDependent());
        assertTrue(s.softBounce());
        assertTrue(s.mechanismFilter().isEmpty());
    }

    @Test
    void theReadmesPolicyAllowsPlaintextOnlyOverTls() throws Exception {
        Path table = dir.resolve("sasl_passwd");
        Files.writeString(table, "[smtp.isp.example]:587 alice:secret\n");
        Files.setPosixFilePermissions(table, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        SaslSettings s = settings("smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:" + table + "\n"
                + "smtp_sasl_tls_security_options = noanonymous\nsmtp_sasl_mechanism_filter = plain, !login\n"
                + "smtp_sender_dependent_authentication = yes\nsmtp_sasl_auth_soft_bounce = no\n");
        assertTrue(s.enabled());
        assertTrue(s.allowsPlaintext(true));
        assertFalse(s.allowsPlaintext(false));
        assertTrue(s.passes("PLAIN"));
        assertFalse(s.passes("LOGIN"));
        assertFalse(s.passes("CRAM-MD5"));
        assertTrue(s.senderDependent());
        assertFalse(s.softBounce());
        assertEquals(List.of(), s.warnings());
    }

    @Test
    void anUnknownSecurityOptionIsAnErrorAtItsLine() throws Exception {
        Path d = confDir("smtp_sasl_security_options = noplaintxt, noanonymous\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(d));
        assertEquals("main.cf:3: SMTP client: smtp_sasl_security_options: unknown security option \"noplaintxt\"; use "
                + "noplaintext, noanonymous, noactive, nodictionary, mutual_auth or forward_secrecy", e.getMessage()
                .replace(d.resolve("main.cf").toString(), "main.cf"));
    }

    @Test
    void authWithoutAPasswordTableIsAnError() throws Exception {
        Path d = confDir("smtp_sasl_auth_enable = yes\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(d));
        assertTrue(e.getMessage().contains("main.cf:3: SMTP client: smtp_sasl_auth_enable = yes, but smtp_sasl_password_maps "
                + "is empty; specify a password table via smtp_sasl_password_maps"), e.getMessage());
    }

    @Test
    void aBrokenTableLineIsNamedButNotShown() throws Exception {
        Path table = dir.resolve("sasl_passwd");
        Files.writeString(table, "# forgot the key\nalice:Sup3r-Secret\n");
        Path d = confDir("smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:" + table + "\n");
        ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(d));
        assertTrue(e.getMessage().contains(table + ":2: expected (text not shown: it may hold a password)"), e.getMessage());
        assertFalse(e.getMessage().contains("Sup3r"), e.getMessage());
    }

    @Test
    void passwordsComeOnlyFromFiles() throws Exception {
        for (String spec : List.of("static:alice:Sup3r-Secret", "inline:{[smtp.isp.example]:587=alice:Sup3r-Secret}")) {
            SaslSettings.Invalid e = assertThrows(SaslSettings.Invalid.class,
                    () -> settings("smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = " + spec + "\n"));
            assertEquals("smtp_sasl_password_maps", e.parameter());
            assertFalse(e.getMessage().contains("Sup3r"), e.getMessage());
            assertTrue(e.getMessage().contains("hash:/etc/postern/sasl_passwd"), e.getMessage());
        }
    }

    @Test
    void tablesAndPatternsInTheMechanismFilterAreRefused() throws Exception {
        SaslSettings.Invalid e = assertThrows(SaslSettings.Invalid.class,
                () -> settings("smtp_sasl_mechanism_filter = hash:/etc/postern/mechs\n"));
        assertEquals("smtp_sasl_mechanism_filter", e.parameter());
    }

    @Test
    void postfixDefaultsWithAuthAreWarnedAbout() throws Exception {
        Path table = dir.resolve("sasl_passwd");
        Files.writeString(table, "[smtp.isp.example]:587 alice:secret\n");
        Plan plan = Server.plan(confDir("smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:" + table + "\n"));
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("no mechanism Postern implements (PLAIN, LOGIN) is allowed")
                && w.contains("set smtp_sasl_tls_security_options = noanonymous")), plan.warnings().toString());
        String all = String.join("\n", plan.warnings());
        assertFalse(all.contains("secret"), all);
    }

    @Test
    void aPasswordFileOthersCanReadIsWarnedAbout() throws Exception {
        Path table = dir.resolve("sasl_passwd");
        Files.writeString(table, "[smtp.isp.example]:587 alice:secret\n");
        Files.setPosixFilePermissions(table, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        String cf = "smtp_sasl_auth_enable = yes\nsmtp_sasl_tls_security_options = noanonymous\n"
                + "smtp_sasl_password_maps = hash:" + table + ", texthash:" + dir.resolve("missing") + "\n";
        List<String> w = settings(cf).warnings();
        assertEquals(2, w.size(), w.toString());
        assertEquals("smtp_sasl_password_maps: " + table + " holds passwords but every user can read it (rw-r--r--); chmod 600 "
                + table, w.get(0));
        assertTrue(w.get(1).endsWith("missing does not exist; mail to next hops will be deferred until it does"), w.get(1));
        Files.setPosixFilePermissions(table, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(1, settings(cf).warnings().size());
    }
}

package dev.postern.smtp;

import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Postfix separates cipher exclusions and certificate name matching by commas, whitespace and
 * colons (tls_misc.c, smtp_tls_policy.c); with colons unsplit, {@code aNULL:MD5:SHA1} excluded
 * nothing and {@code nexthop:dot-nexthop} matched no certificate.
 */
class SmtpClientListsTest {
    @TempDir
    Path dir;

    private SmtpClientSettings settings(String mainCf) throws Exception {
        Files.writeString(dir.resolve("main.cf"), mainCf);
        Files.writeString(dir.resolve("master.cf"), "");
        return SmtpClientSettings.from(ConfigLoader.load(dir).config());
    }

    @Test
    void colonsSeparateAsCommasAndSpacesDo() throws Exception {
        SmtpClientSettings s = settings("smtp_tls_exclude_ciphers = aNULL:MD5, SHA1\n"
                + "smtp_tls_mandatory_exclude_ciphers = kEDH+aRSA:RC4\n"
                + "smtp_tls_secure_cert_match = nexthop:dot-nexthop\n"
                + "smtp_tls_verify_cert_match = hostname:nexthop, dot-nexthop\n");
        assertEquals(List.of("aNULL", "MD5", "SHA1"), s.tlsDefaults().exclude());
        assertEquals(List.of("kEDH+aRSA", "RC4"), s.tlsDefaults().mandatoryExclude());
        assertEquals(List.of("nexthop", "dot-nexthop"), s.secureMatch());
        assertEquals(List.of("hostname", "nexthop", "dot-nexthop"), s.verifyMatch());
    }

    @Test
    void fingerprintsKeepTheirColons() throws Exception {
        String fp = "AB:".repeat(31) + "AB";
        assertEquals(List.of(fp), settings("smtp_tls_fingerprint_cert_match = " + fp + "\n").tlsDefaults().fingerprintMatch());
    }

    @Test
    void aRelayhostTheDeliveryAgentCannotParseIsAnErrorAtItsLine() throws Exception {
        for (String bad : new String[] {"[smtp.isp.example", "[smtp.isp.example]:99999"}) {
            Files.writeString(dir.resolve("main.cf"), "smtp_tls_security_level = none\nrelayhost = " + bad + "\n");
            Files.writeString(dir.resolve("master.cf"), "");
            ConfigException e = assertThrows(ConfigException.class, () -> SmtpDeliveryAgent.validate(ConfigLoader.load(dir).config()));
            assertTrue(e.getMessage().startsWith("main.cf:2: relayhost: "), e.getMessage());
        }
        Files.writeString(dir.resolve("main.cf"), "smtp_tls_security_level = none\nrelayhost = [smtp.isp.example]:587\n");
        SmtpDeliveryAgent.validate(ConfigLoader.load(dir).config());
    }

    @Test
    void anExclusionThatNamesNothingIsAnErrorAtItsLine() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "smtp_tls_security_level = may\nsmtp_tls_exclude_ciphers = aNULL:SHA-1\n");
        Files.writeString(dir.resolve("master.cf"), "");
        ConfigException e = assertThrows(ConfigException.class, () -> SmtpDeliveryAgent.validate(ConfigLoader.load(dir).config()));
        assertTrue(e.getMessage().startsWith("main.cf:2"), e.getMessage());
        assertTrue(e.getMessage().contains("\"SHA-1\" in the cipher exclusions names no cipher"), e.getMessage());
    }
}

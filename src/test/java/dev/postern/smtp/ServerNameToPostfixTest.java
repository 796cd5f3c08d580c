package dev.postern.smtp;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.log.MailLog;
import dev.postern.mail.RecipientResult;
import dev.postern.maps.Maps;
import dev.postern.testing.PostfixInstance;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interop: Server Name Indication into a real Postfix that picks its certificate by SNI
 * (tls_server_sni_maps). Its default certificate is for another name, so a {@code secure}
 * delivery for relay.example.test is verified only when Postern sends that name: with the
 * policy's {@code servername=} it is, without it the mail is deferred, as Postfix's client would.
 */
class ServerNameToPostfixTest {
    private static final String NAME = "relay.example.test";

    @TempDir
    Path dir;

    @Test
    void postfixPicksTheCertificateForTheNameSent() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("SNI CA", Duration.ofDays(2));
        Path pfDir = Files.createDirectories(dir.resolve("postfix"));
        Path caFile = pfDir.resolve("CAcert.pem");
        Files.writeString(caFile, ca.certificatePem());
        Path defaultCert = pfDir.resolve("default-cert.pem");
        Path defaultKey = pfDir.resolve("default-key.pem");
        ca.issueServer("default.example.test", List.of("default.example.test"), Duration.ofDays(1)).writePem(defaultCert, defaultKey);
        // Postfix's chain file for an SNI name: the private key, then the leaf, then its issuer.
        IssuedCertificate named = ca.issueServer(NAME, List.of(NAME), Duration.ofDays(1));
        Path chain = pfDir.resolve("relay-chain.pem");
        Files.writeString(chain, named.privateKeyPem() + named.certificatePem() + ca.certificatePem());
        Path sniMap = pfDir.resolve("sni");
        Files.writeString(sniMap, NAME + " " + chain + "\n");
        PostfixInstance.postmapFiles(sniMap);

        try (PostfixInstance pf = PostfixInstance.start(pfDir, Map.of(
                "smtpd_tls_cert_file", defaultCert.toString(),
                "smtpd_tls_key_file", defaultKey.toString(),
                "tls_server_sni_maps", "hash:" + sniMap,
                "smtpd_tls_security_level", "may",
                "smtpd_tls_loglevel", "1",
                "defer_transports", "smtp"))) {
            String hop = "[localhost]:" + pf.smtpPort();
            ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

            RecipientResult withName = deliver(dir.resolve("with"), hop, "secure match=" + NAME + " servername=" + NAME, caFile, logBytes);
            RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, withName, withName + "\n" + logBytes + "\n" + pf.log());
            assertTrue(sent.diagnostic().startsWith("250 2.0.0 Ok: queued as "), sent.diagnostic());
            assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("Verified TLS connection established to localhost[127.0.0.1]:"
                    + pf.smtpPort()), logBytes.toString(StandardCharsets.UTF_8));

            RecipientResult without = deliver(dir.resolve("without"), hop, "secure match=" + NAME, caFile, logBytes);
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, without, without + "\n" + logBytes);
            assertEquals("4.7.5", d.dsn());
            assertTrue(d.diagnostic().contains("Server certificate not verified"), d.diagnostic());
            pf.awaitLog("from=<me@my\\.domain\\.example>", Duration.ofSeconds(20));
        }
    }

    private static RecipientResult deliver(Path dir, String hop, String policyValue, Path caFile, ByteArrayOutputStream logBytes)
            throws Exception {
        Files.createDirectories(dir);
        Path policy = dir.resolve("smtp_tls_policy");
        Files.writeString(policy, hop + "\t" + policyValue + "\n");
        SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofSeconds(30), "may", new ClientTlsSettings(caFile, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(Maps.open("texthash:" + policy)), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0);
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(logBytes, "desktop", "postern"))) {
            return a.deliver(SmtpDeliveryAgentTest.request(hop, "Subject: sni\r\n\r\nhello\r\n", "friend@example.org")).get(0);
        }
    }
}

package dev.postern.smtp;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.maps.Maps;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS levels against a real TLS server on loopback: every failure defers with Postfix's code and
 * text and sends no mail; the fingerprint level by certificate and by public key; policy
 * attributes; and the configuration check that refuses what Postern does not implement.
 */
class SmtpTlsPolicyTest {
    @TempDir
    Path dir;
    CertificateAuthority ca;
    ScriptedSmtpServer server;
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    Path caFile;
    Path policy;

    @BeforeEach
    void setUp() throws Exception {
        ca = CertificateAuthority.create("Relay CA", Duration.ofDays(2));
        caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, ca.certificatePem());
        server = new ScriptedSmtpServer();
        server.certificate = ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
        policy = dir.resolve("smtp_tls_policy");
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private String hop() {
        return "[localhost]:" + server.port();
    }

    /** An agent whose only policy is the table line {@code [localhost]:port value}. */
    private String mandatoryProtocols = ">=TLSv1.2";
    /** smtp_tls_servername. */
    private String serverNameSetting = "";

    private SmtpDeliveryAgent agent(String policyValue, String digest) throws Exception {
        Files.writeString(policy, "# policy\n" + hop() + "\t" + policyValue + "\n");
        TlsDefaults defaults = new TlsDefaults(digest, List.of(), "medium", "medium", List.of(), List.of(), serverNameSetting);
        return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), "may", new ClientTlsSettings(caFile, null, null, ">=TLSv1.2"), mandatoryProtocols, 1,
                List.of(Maps.open("texthash:" + policy)), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0, defaults, NextHopSettings.POSTFIX_IPV4),
                new MailLog(logBytes, "desktop", "postern"));
    }

    private RecipientResult deliver(String policyValue) throws Exception {
        return deliver(policyValue, "sha256");
    }

    private RecipientResult deliver(String policyValue, String digest) throws Exception {
        byte[] bytes = "Subject: tls\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            public long size() {
                return bytes.length;
            }
        };
        try (SmtpDeliveryAgent a = agent(policyValue, digest)) {
            List<RecipientResult> r = a.deliver(new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@desktop.example.org")),
                    List.of(MailAddress.parse("you@example.org")), "smtp", hop(), mc, Instant.now(), false, false));
            assertEquals(1, r.size());
            return r.get(0);
        }
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    private void assertDeferredAndNothingSent(RecipientResult r, String dsn, String text) {
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertEquals(dsn, d.dsn());
        assertTrue(d.diagnostic().contains(text), d.diagnostic());
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), "no mail without the required TLS: " + server.commands());
        assertEquals(0, server.rawData.size());
    }

    private static String digest(String algorithm, byte[] der, boolean colons) throws Exception {
        String hex = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance(algorithm).digest(der));
        return colons ? hex.replaceAll("(..)(?!$)", "$1:") : hex.toLowerCase();
    }

    @ParameterizedTest
    @ValueSource(strings = {"encrypt", "fingerprint match=00:11", "verify", "secure"})
    void noStartTlsOffered(String level) throws Exception {
        server.offerStartTls = false;
        String value = level.startsWith("fingerprint") ? "fingerprint match=" + "AB".repeat(32) : level;
        assertDeferredAndNothingSent(deliver(value), "4.7.4", "TLS is required, but was not offered by host localhost[127.0.0.1]");
    }

    @Test
    void wrongName() throws Exception {
        server.certificate = ca.issueServer("other.example", List.of("other.example"), Duration.ofDays(1));
        assertDeferredAndNothingSent(deliver("secure"), "4.7.5", "Server certificate not verified");
        assertTrue(log().contains("server certificate verification failed for localhost[127.0.0.1]: server certificate name mismatch"), log());
    }

    @Test
    void wrongCa() throws Exception {
        server.certificate = CertificateAuthority.create("Rogue CA", Duration.ofDays(1))
                .issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
        assertDeferredAndNothingSent(deliver("verify"), "4.7.5", "Server certificate not verified");
        assertTrue(log().contains("untrusted issuer /CN=Rogue CA"), log());
    }

    @Test
    void expiredCertificate() throws Exception {
        server.certificate = ca.issue("localhost", dev.postern.ca.Profile.SERVER, List.of("localhost"),
                Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)));
        assertDeferredAndNothingSent(deliver("secure"), "4.7.5", "Server certificate not verified");
        assertTrue(log().contains("certificate has expired"), log());
    }

    @Test
    void wrongFingerprint() throws Exception {
        assertDeferredAndNothingSent(deliver("fingerprint match=" + "AB:".repeat(31) + "AB"), "4.7.5", "Server certificate not verified");
        assertTrue(log().contains("certificate fingerprint mismatch"), log());
    }

    @Test
    void rightCertificateFingerprintDelivers() throws Exception {
        String fp = digest("SHA-256", server.certificate.certificate().getEncoded(), true);
        RecipientResult r = deliver("fingerprint match=" + "AB".repeat(32) + "|" + fp);
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertEquals(1, server.rawData.size());
        assertTrue(log().contains("Verified TLS connection established to localhost[127.0.0.1]:" + server.port() + ": TLSv1.3 with cipher "),
                log());
    }

    /** Public key fingerprint, md5, no colons, lower case; neither CA nor expiry matters at this level. */
    @Test
    void publicKeyFingerprintOfAnExpiredSelfIssuedCertificateDelivers() throws Exception {
        server.certificate = CertificateAuthority.create("Elsewhere CA", Duration.ofDays(1)).issue("mailhub", dev.postern.ca.Profile.SERVER,
                List.of("mailhub"), Instant.now().minus(Duration.ofDays(3)), Instant.now().minus(Duration.ofDays(1)));
        String fp = digest("MD5", server.certificate.certificate().getPublicKey().getEncoded(), false);
        RecipientResult r = deliver("fingerprint match=" + fp, "md5");
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
    }

    @Test
    void policyProtocolsAndExclusionsShapeTheHandshake() throws Exception {
        RecipientResult r = deliver("encrypt protocols=TLSv1.2 exclude=AES128:AES256");
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertTrue(log().matches("(?s).*TLS connection established to localhost\\[127\\.0\\.0\\.1\\]:\\d+: TLSv1\\.2 with cipher "
                + "ECDHE-[A-Z]+-CHACHA20-POLY1305 \\(256/256 bits\\).*"), log());
    }

    /** OpenSSL's cipher aliases shape a real handshake: no AEAD suite left, so a CBC one with its own MAC is chosen. */
    @Test
    void opensslAliasesInExclusionsShapeTheHandshake() throws Exception {
        RecipientResult r = deliver("encrypt protocols=TLSv1.2 exclude=AESGCM:CHACHA20:kRSA");
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertTrue(log().matches("(?s).*TLS connection established to localhost\\[127\\.0\\.0\\.1\\]:\\d+: TLSv1\\.2 with cipher "
                + "ECDHE-[A-Z]+-AES(128|256)-SHA(256|384)? \\(\\d+/\\d+ bits\\).*"), log());
    }

    /** smtp_tls_mandatory_protocols applies from encrypt up, smtp_tls_protocols at may. */
    @Test
    void mandatoryProtocolsApplyAboveMay() throws Exception {
        mandatoryProtocols = "TLSv1.2";
        assertInstanceOf(RecipientResult.Sent.class, deliver("encrypt"));
        assertTrue(log().contains(": TLSv1.2 with cipher "), log());
        logBytes.reset();
        assertInstanceOf(RecipientResult.Sent.class, deliver("may"));
        assertTrue(log().contains(": TLSv1.3 with cipher "), log());
        // A trusted chain whose name matches: still only "Trusted" below verify, as Postfix logs it.
        assertTrue(log().contains("Trusted TLS connection established to localhost[127.0.0.1]:"), log());
    }

    @Test
    void aPolicyEditedIntoNonsenseDefersInsteadOfDowngrading() throws Exception {
        server.offerStartTls = false;
        assertDeferredAndNothingSent(deliver("dane"), "4.7.5", "client TLS configuration problem");
        assertEquals(0, server.connections.get(), "not even a connection");
    }

    // ---- postern check

    private void check(String mainExtra, String policyText) throws Exception {
        Files.writeString(policy, policyText);
        Files.writeString(dir.resolve("main.cf"), "myhostname = desktop.example.org\nsmtp_tls_CAfile = " + caFile + "\n"
                + "smtp_tls_policy_maps = texthash:" + policy + "\n"
                + "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n" + mainExtra);
        Files.writeString(dir.resolve("master.cf"), "587 inet n - n - - smtpd\n");
        SmtpDeliveryAgent.validate(ConfigLoader.load(dir).config());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dane", "dane-only", "securee", "secure tafile=/etc/ta.pem", "fingerprint", "encrypt ciphers=null",
            "encrypt ciphers=strong", "fingerprint match=nothex", "encrypt servername=a.example servername=b.example",
            "encrypt servername=-bad-.example", "encrypt servername=", "encrypt servername=192.0.2.1",
            "encrypt servername=under_score.example"})
    void policyTableMistakesNameTheTableLine(String value) throws Exception {
        ConfigException e = assertThrows(ConfigException.class,
                () -> check("", "# TLS policy\n[ok.example]:587 secure\n[bad.example]:587 " + value + "\n"));
        assertEquals(policy.toString(), e.file());
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("entry \"[bad.example]:587\""), e.getMessage());
    }

    @Test
    void daneInMainCfNamesItsLine() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> check("smtp_tls_security_level = dane\n", ""));
        assertTrue(e.file().endsWith("main.cf"), e.file());
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("\"dane\" is not implemented"), e.getMessage());
    }

    @Test
    void goodTablesPassTheCheck() throws Exception {
        check("smtp_host_lookup = dns, native\n", "[a.example]:587 secure match=a.example\n.b.example verify\n"
                + "c.example fingerprint match=" + "AB:".repeat(31) + "AB|" + "cd".repeat(32) + "\nd.example encrypt protocols=TLSv1.3 ciphers=high exclude=CHACHA20\n");
    }

    // ---- Server Name Indication (smtp_tls_servername, servername=)

    @Test
    void noServerNameIsSentByDefault() throws Exception {
        assertInstanceOf(RecipientResult.Sent.class, deliver("encrypt"));
        assertEquals(List.of(), server.requestedServerNames);
    }

    @Test
    void thePolicysServerNameIsSent() throws Exception {
        serverNameSetting = "hostname"; // the policy's attribute wins over the parameter
        assertInstanceOf(RecipientResult.Sent.class, deliver("encrypt servername=relay.example.test"));
        assertEquals(List.of("relay.example.test"), server.requestedServerNames);
    }

    @Test
    void hostnameSendsTheServersHostName() throws Exception {
        serverNameSetting = "hostname";
        assertInstanceOf(RecipientResult.Sent.class, deliver("secure match=localhost"));
        assertEquals(List.of("localhost"), server.requestedServerNames);
    }

    @Test
    void aLiteralNameMustBeInALabelsAsPostfixRequires() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TlsPolicy.parse("encrypt servername=b\u00fccher.example", "test"));
        assertTrue(e.getMessage().contains("write xn--bcher-kva.example"), e.getMessage());
        assertEquals("xn--bcher-kva.example", ServerNameIndication.resolve("nexthop", "mx.example", "b\u00fccher.example"),
                "hostname and nexthop are converted, as Postfix's tls_client.c does");
    }

    @Test
    void aNameTheTlsLibrariesRefuseIsRefusedAtCheckAndNeverSent() {
        assertThrows(IllegalArgumentException.class, () -> TlsPolicy.parse("encrypt servername=mail_1.example", "test"));
        assertEquals(null, ServerNameIndication.resolve("hostname", "mail_1.example", "example"),
                "an MX host with '_' gets no SNI rather than a failed delivery");
    }

    @Test
    void serverNameResolution() {
        assertEquals("mx1.example.org", ServerNameIndication.resolve("hostname", "MX1.example.org.", "example.org"));
        assertEquals("example.org", ServerNameIndication.resolve("nexthop", "mx1.example.org", "example.org"));
        assertEquals(null, ServerNameIndication.resolve("hostname", "192.0.2.7", "192.0.2.7"), "an address literal has no name");
        assertEquals(null, ServerNameIndication.resolve("nexthop", "mx", "::1"));
        assertEquals(null, ServerNameIndication.resolve("", "mx1.example.org", "example.org"));
    }

    @Test
    void aBadServerNameInMainCfNamesItsLine() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> check("smtp_tls_servername = not_a/name\n", ""));
        assertTrue(e.file().endsWith("main.cf"), e.file());
        assertEquals(5, e.line());
        assertTrue(e.getMessage().contains("smtp_tls_servername") && e.getMessage().contains("not a valid host name"), e.getMessage());
        check("smtp_tls_servername = hostname\n", "");
        check("smtp_tls_servername = nexthop\n", "");
        check("smtp_tls_servername = relay.example.org\n", "[a.example]:587 secure servername=a.example\n");
    }

    @Test
    void explainTlsForPosternRoute() throws Exception {
        try (SmtpDeliveryAgent ignored = agent("secure", "sha256")) {
            SmtpClientSettings s = new SmtpClientSettings("d", Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), "may",
                    new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1, List.of(Maps.open("texthash:" + policy)),
                    List.of("nexthop", "dot-nexthop"), List.of("hostname"), Duration.ZERO, Duration.ZERO, 0);
            assertEquals("TLS: secure (smtp_tls_policy_maps texthash:" + policy + " key " + hop() + "), match=nexthop:dot-nexthop,"
                    + " protocols=>=TLSv1.2, ciphers=medium", TlsPolicy.explainTls(s, hop()));
            assertEquals("TLS: may (smtp_tls_security_level), protocols=>=TLSv1.2, ciphers=medium",
                    TlsPolicy.explainTls(s, "[elsewhere.example]:25"));
            Path sniPolicy = dir.resolve("sni_policy");
            Files.writeString(sniPolicy, hop() + "\tencrypt servername=hostname\n");
            SmtpClientSettings sni = new SmtpClientSettings("d", Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), "may",
                    new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1, List.of(Maps.open("texthash:" + sniPolicy)),
                    List.of("nexthop", "dot-nexthop"), List.of("hostname"), Duration.ZERO, Duration.ZERO, 0);
            assertEquals("TLS: encrypt (smtp_tls_policy_maps texthash:" + sniPolicy + " key " + hop() + "), protocols=>=TLSv1.2,"
                    + " ciphers=medium, servername=hostname", TlsPolicy.explainTls(sni, hop()));
        }
    }
}

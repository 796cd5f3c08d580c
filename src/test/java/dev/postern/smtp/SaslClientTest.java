package dev.postern.smtp;

import dev.postern.ca.CertificateAuthority;
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

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SMTP AUTH against the scripted server: mechanisms, security options, failures, lookups. */
class SaslClientTest {
    private static final String SECRET = "s3cret:Pa55";

    @TempDir
    Path dir;
    ScriptedSmtpServer server;
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    Path caFile;
    Path table;

    @BeforeEach
    void setUp() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Relay CA", Duration.ofDays(2));
        caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, ca.certificatePem());
        server = new ScriptedSmtpServer();
        server.certificate = ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
        server.authMechanisms = "PLAIN LOGIN";
        server.authAfterTlsOnly = true;
        server.accounts.put("alice", SECRET);
        server.accounts.put("bob", "bobs-secret");
        table = dir.resolve("sasl_passwd");
        Files.writeString(table, hop() + " alice:" + SECRET + "\n"
                + "sender@dependent.example bob:bobs-secret\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private String hop() {
        return "[localhost]:" + server.port();
    }

    private SaslSettings sasl(Set<String> plain, Set<String> tls, List<String> filter, boolean senderDependent, boolean softBounce) {
        return new SaslSettings(true, List.of(Maps.open("hash:" + table)), filter, plain, tls, senderDependent, softBounce, "+",
                Set.of("desktop.example.org"));
    }

    /** The SASL_README's "plaintext only over TLS" policy. */
    private SaslSettings overTlsOnly() {
        return sasl(Set.of("noplaintext", "noanonymous"), Set.of("noanonymous"), List.of(), false, true);
    }

    private SmtpDeliveryAgent agent(String level, SaslSettings sasl) throws Exception {
        return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), level, new ClientTlsSettings(caFile, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0, sasl),
                new MailLog(logBytes, "desktop", "postern"));
    }

    private DeliveryRequest request(String sender) {
        byte[] bytes = "Subject: x\r\n\r\nhello\r\n".getBytes(StandardCharsets.ISO_8859_1);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            public long size() {
                return bytes.length;
            }
        };
        return new DeliveryRequest(QueueId.next(), sender.isEmpty() ? ReversePath.NULL : ReversePath.of(MailAddress.parse(sender)),
                List.of(MailAddress.parse("you@example.org")), "smtp", hop(), mc, Instant.now(), false, false);
    }

    private RecipientResult deliver(String level, SaslSettings sasl) throws Exception {
        try (SmtpDeliveryAgent a = agent(level, sasl)) {
            List<RecipientResult> r = a.deliver(request("me@my.domain.example"));
            assertEquals(1, r.size(), r.toString());
            return r.get(0);
        }
    }

    /** Neither the password nor any base64 form of it may show up where people read. */
    private void assertSecretHidden(RecipientResult r) {
        String log = logBytes.toString(StandardCharsets.UTF_8);
        for (String text : List.of(log, r.toString(), r.diagnostic())) {
            assertFalse(text.contains("Pa55"), text);
            assertFalse(text.contains(Base64.getEncoder().encodeToString(("\0alice\0" + SECRET).getBytes(StandardCharsets.UTF_8))), text);
            assertFalse(text.contains(Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8))), text);
        }
    }

    private boolean sent(String prefix) {
        return server.commands().stream().anyMatch(c -> c.toUpperCase().startsWith(prefix));
    }

    @Test
    void plainOverTlsWithInitialResponse() throws Exception {
        RecipientResult r = deliver("encrypt", overTlsOnly());
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertEquals("alice", server.authenticatedAs);
        String plain = Base64.getEncoder().encodeToString(("\0alice\0" + SECRET).getBytes(StandardCharsets.UTF_8));
        assertTrue(server.commands().contains("AUTH PLAIN " + plain), server.commands().toString());
        // After STARTTLS and the second EHLO, before MAIL.
        List<String> c = server.commands();
        assertTrue(c.indexOf("STARTTLS") < c.indexOf("AUTH PLAIN " + plain), c.toString());
        assertTrue(c.indexOf("AUTH PLAIN " + plain) < c.indexOf(c.stream().filter(x -> x.startsWith("MAIL")).findFirst().orElseThrow()));
        assertSecretHidden(r);
    }

    @Test
    void credentialsTooLongForOneLineWaitForTheEmptyChallenge() throws Exception {
        String longPassword = "x".repeat(400);
        server.accounts.put("alice", longPassword);
        Files.writeString(table, hop() + " alice:" + longPassword + "\n");
        RecipientResult r = deliver("encrypt", overTlsOnly());
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertEquals("alice", server.authenticatedAs);
        assertTrue(server.commands().contains("AUTH PLAIN"), "RFC 4954: no initial response beyond 512 octets");
        assertTrue(server.transcript.contains("S: 334 "), server.transcript.toString());
    }

    @Test
    void anUnreadableTableDefersAsALocalDataError() throws Exception {
        Files.delete(table);
        RecipientResult r = deliver("encrypt", overTlsOnly());
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertEquals("4.3.0", d.dsn());
        assertTrue(d.diagnostic().matches("local data error while talking to localhost\\[[^]]+\\]"), d.diagnostic());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("smtp_sasl_password_maps lookup error: hash:" + table
                + " is unavailable"), logBytes.toString(StandardCharsets.UTF_8));
        assertFalse(sent("AUTH") || sent("MAIL"), server.commands().toString());
    }

    @Test
    void loginWhenTheServerOffersOnlyLogin() throws Exception {
        server.authMechanisms = "LOGIN";
        RecipientResult r = deliver("encrypt", overTlsOnly());
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertEquals("alice", server.authenticatedAs);
        assertTrue(server.transcript.contains("S: 334 VXNlcm5hbWU6"), server.transcript.toString());
        assertTrue(server.transcript.contains("C: " + Base64.getEncoder().encodeToString("alice".getBytes(StandardCharsets.UTF_8))));
        assertSecretHidden(r);
    }

    @Test
    void oldAuthEqualsSyntaxAndTheMechanismFilter() throws Exception {
        server.authMechanisms = "PLAIN LOGIN\r\n250-AUTH=PLAIN LOGIN";
        SaslSettings s = sasl(Set.of("noplaintext"), Set.of(), List.of("login"), false, true);
        RecipientResult r = deliver("encrypt", s);
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertTrue(sent("AUTH LOGIN"), server.commands().toString());
        assertFalse(sent("AUTH PLAIN"), server.commands().toString());
    }

    @Test
    void filterLeavingNothingDefers() throws Exception {
        SaslSettings s = sasl(Set.of(), Set.of(), List.of("cram-md5", "!plain"), false, true);
        RecipientResult r = deliver("encrypt", s);
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertEquals("4.7.0", d.dsn());
        assertTrue(d.diagnostic().matches("SASL authentication failed: server localhost\\[[^]]+\\] offered no compatible "
                + "authentication mechanisms for this type of connection security"), d.diagnostic());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("offered no supported AUTH mechanisms: 'PLAIN LOGIN'"));
        assertFalse(sent("AUTH") || sent("MAIL"), server.commands().toString());
    }

    @Test
    void postfixDefaultsForbidPlainEvenOverTls() throws Exception {
        Set<String> defaults = Set.of("noplaintext", "noanonymous");
        RecipientResult r = deliver("encrypt", sasl(defaults, defaults, List.of(), false, true));
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertEquals("4.7.0", d.dsn());
        assertTrue(d.diagnostic().matches("SASL authentication failed; cannot authenticate to server localhost\\[[^]]+\\]: "
                + "no mechanism available"), d.diagnostic());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("smtp_sasl_tls_security_options = "), logBytes.toString());
        assertFalse(sent("AUTH") || sent("MAIL"), server.commands().toString());
    }

    @Test
    void noplaintextWithoutTlsSendsNoPassword() throws Exception {
        server.authAfterTlsOnly = false;
        RecipientResult r = deliver("none", overTlsOnly());
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertTrue(d.diagnostic().endsWith(": no mechanism available"), d.diagnostic());
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("smtp_sasl_security_options = "), logBytes.toString());
        assertFalse(sent("AUTH") || sent("MAIL"), server.commands().toString());
    }

    @Test
    void plaintextAllowedWithoutTlsWhenTheOptionsSaySo() throws Exception {
        server.authAfterTlsOnly = false;
        RecipientResult r = deliver("none", sasl(Set.of("noanonymous"), Set.of("noanonymous"), List.of(), false, true));
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertEquals("alice", server.authenticatedAs);
    }

    @Test
    void wrongPasswordDefersWithTheServersText() throws Exception {
        server.accounts.put("alice", "another password");
        RecipientResult r = deliver("encrypt", overTlsOnly());
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertEquals("4.7.8", d.dsn(), "soft bounce: the server's 5.7.8 as 4.7.8");
        assertTrue(d.diagnostic().matches("SASL authentication failed; server localhost\\[[^]]+\\] said: "
                + "535 5.7.8 Error: authentication failed: authentication failure"), d.diagnostic());
        assertFalse(sent("MAIL"), server.commands().toString());
        assertSecretHidden(r);
    }

    @Test
    void wrongPasswordBouncesWithoutSoftBounce() throws Exception {
        server.accounts.put("alice", "another password");
        RecipientResult r = deliver("encrypt", sasl(Set.of(), Set.of(), List.of(), false, false));
        RecipientResult.Bounced b = assertInstanceOf(RecipientResult.Bounced.class, r, r.toString());
        assertEquals("5.7.8", b.dsn());
        assertFalse(sent("MAIL"), server.commands().toString());
    }

    @Test
    void temporaryAuthFailureDefers() throws Exception {
        server.authReply = "454 4.7.0 Temporary authentication failure";
        RecipientResult r = deliver("encrypt", overTlsOnly());
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, r.toString());
        assertEquals("4.7.0", d.dsn());
        assertTrue(d.diagnostic().endsWith(" said: 454 4.7.0 Temporary authentication failure"), d.diagnostic());
        assertFalse(sent("MAIL"), server.commands().toString());
    }

    @Test
    void noAuthOfferedDeliversUnauthenticatedAndSaysSo() throws Exception {
        server.authMechanisms = null;
        RecipientResult r = deliver("encrypt", overTlsOnly());
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertFalse(sent("AUTH"), server.commands().toString());
        assertNull(server.authenticatedAs);
        assertTrue(logBytes.toString(StandardCharsets.UTF_8).contains("offered no AUTH; delivering without SASL authentication"),
                logBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void noCredentialsForThisHopTalksAsStrangers() throws Exception {
        Files.writeString(table, "[elsewhere.example]:587 alice:" + SECRET + "\n");
        RecipientResult r = deliver("encrypt", overTlsOnly());
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertFalse(sent("AUTH"), server.commands().toString());
    }

    @Test
    void authDisabledSendsNoAuth() throws Exception {
        RecipientResult r = deliver("encrypt", SaslSettings.DISABLED);
        assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        assertFalse(sent("AUTH"), server.commands().toString());
    }

    @Test
    void senderDependentCredentialsAndConnectionsPerSender() throws Exception {
        Files.writeString(table, hop() + " alice:" + SECRET + "\n"
                + "@dependent.example bob:bobs-secret\n");
        SaslSettings s = sasl(Set.of("noplaintext", "noanonymous"), Set.of("noanonymous"), List.of(), true, true);
        try (SmtpDeliveryAgent a = agent("encrypt", s)) {
            // user+ext@domain, then user@domain, then @domain: the domain entry wins for bob.
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request("sender+list@dependent.example")).get(0));
            assertEquals("bob", server.authenticatedAs);
            // Another sender must not ride on bob's authenticated connection.
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request("me@my.domain.example")).get(0));
            assertEquals("alice", server.authenticatedAs);
            assertEquals(2, server.connections.get());
            // The null sender is never looked up by address.
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request("")).get(0));
            assertEquals("alice", server.authenticatedAs);
        }
    }

    @Test
    void connectionsAreReusedWithoutSenderDependence() throws Exception {
        try (SmtpDeliveryAgent a = agent("encrypt", overTlsOnly())) {
            for (int i = 0; i < 3; i++) {
                assertInstanceOf(RecipientResult.Sent.class, a.deliver(request("me@my.domain.example")).get(0));
            }
        }
        assertEquals(1, server.connections.get());
        assertEquals(1, server.commands().stream().filter(c -> c.startsWith("AUTH")).count());
    }

    @Test
    void tableLookupOrderIsPostfixs() {
        SaslSettings s = sasl(Set.of(), Set.of(), List.of(), true, true);
        List<String> keys = PasswordLookup.keys(s, MailAddress.parse("User+ext@Example.COM"), "smtp.isp.example",
                "[smtp.isp.example]:587").stream().map(k -> k.text()).toList();
        assertEquals(List.of("User+ext@Example.COM", "User@Example.COM", "@Example.COM", "smtp.isp.example",
                "[smtp.isp.example]:587"), keys);
        // A sender in a local domain ($myorigin, $mydestination) is also tried by its local part.
        assertEquals(List.of("me+x@desktop.example.org", "me@desktop.example.org", "me+x", "me", "@desktop.example.org",
                "smtp.isp.example", "[smtp.isp.example]:587"), PasswordLookup.keys(s, MailAddress.parse("me+x@desktop.example.org"),
                "smtp.isp.example", "[smtp.isp.example]:587").stream().map(k -> k.text()).toList());
        SaslSettings plain = sasl(Set.of(), Set.of(), List.of(), false, true);
        assertEquals(List.of("example.org"), PasswordLookup.keys(plain, null, "example.org", "example.org").stream()
                .map(k -> k.text()).toList());
    }

    @Test
    void explainSaslNamesTheTableAndKeyButNeverThePassword() {
        SmtpClientSettings on = settings(overTlsOnly());
        String yes = SaslClient.explainSasl(on, hop(), "me@my.domain.example");
        assertEquals("SASL: yes, username alice (smtp_sasl_password_maps hash:" + table + " key " + hop()
                + "); PLAIN or LOGIN, only over TLS", yes);
        assertFalse(yes.contains("Pa55"));
        assertEquals("SASL: no (smtp_sasl_password_maps has no entry for elsewhere.example, [elsewhere.example]:587)",
                SaslClient.explainSasl(on, "[elsewhere.example]:587", "<>"));
        assertEquals("SASL: no (smtp_sasl_auth_enable = no)", SaslClient.explainSasl(settings(SaslSettings.DISABLED), hop(), ""));
        Set<String> defaults = Set.of("noplaintext", "noanonymous");
        assertTrue(SaslClient.explainSasl(settings(sasl(defaults, defaults, List.of(), false, true)), hop(), "")
                .endsWith("forbids PLAIN and LOGIN; delivery would defer"));
    }

    private SmtpClientSettings settings(SaslSettings sasl) {
        return new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), "encrypt", new ClientTlsSettings(caFile, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop"), List.of("hostname"), Duration.ofSeconds(2), Duration.ofSeconds(300), 0, sasl);
    }
}

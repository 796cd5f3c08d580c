package dev.postern.smtp;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SmtpDeliveryAgentTest {
    @TempDir
    Path dir;
    CertificateAuthority ca;
    ScriptedSmtpServer server;
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    Path caFile;
    Path clientCert;
    Path clientKey;

    @BeforeEach
    void setUp() throws Exception {
        ca = CertificateAuthority.create("Relay CA", Duration.ofDays(2));
        caFile = dir.resolve("ca.pem");
        Files.writeString(caFile, ca.certificatePem());
        IssuedCertificate client = ca.issueClient("desktop.example.org", Duration.ofDays(1));
        clientCert = dir.resolve("client.pem");
        clientKey = dir.resolve("client-key.pem");
        client.writePem(clientCert, clientKey);
        server = new ScriptedSmtpServer();
        server.certificate = ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private SmtpDeliveryAgent agent(String level) throws Exception {
        return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), level, new ClientTlsSettings(caFile, clientCert, clientKey, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname")),
                new MailLog(logBytes, "desktop", "postern"));
    }

    private static DeliveryRequest request(String nexthop, String content, String... rcpts) {
        byte[] bytes = content.getBytes(StandardCharsets.ISO_8859_1);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            public long size() {
                return bytes.length;
            }
        };
        return new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@my.domain.example")),
                java.util.Arrays.stream(rcpts).map(MailAddress::parse).toList(), "smtp", nexthop, mc, Instant.now(), true, false);
    }

    private String hop() {
        return "[localhost]:" + server.port();
    }

    @Test
    void secureDeliveryPresentsTheClientCertificate() throws Exception {
        try (SmtpDeliveryAgent a = agent("secure")) {
            List<RecipientResult> r = a.deliver(request(hop(), "Subject: x\r\n\r\nhello\r\n", "you@example.org"));
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, r.get(0), r.toString());
            assertEquals("250 2.0.0 Ok: queued as SCRIPTED1", s.diagnostic());
            assertTrue(s.relay().matches("localhost\\[(127\\.0\\.0\\.1|0:0:0:0:0:0:0:1)\\]:" + server.port()), s.relay());
        }
        assertNotNull(server.clientCertificate, "the client certificate must be presented");
        assertTrue(server.clientCertificate.getSubjectX500Principal().getName().contains("desktop.example.org"));
        String log = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("Verified TLS connection established to localhost["), log);
    }

    @Test
    void secureRefusesAWrongName() throws Exception {
        server.certificate = ca.issueServer("other.example", List.of("other.example"), Duration.ofDays(1));
        assertDeferred("secure", "4.7.5", "Server certificate not verified");
    }

    @Test
    void secureRefusesAnotherCa() throws Exception {
        server.certificate = CertificateAuthority.create("Rogue CA", Duration.ofDays(1))
                .issueServer("localhost", List.of("localhost"), Duration.ofDays(1));
        assertDeferred("secure", "4.7.5", "Server certificate not verified");
    }

    @Test
    void encryptNeedsStartTls() throws Exception {
        server.offerStartTls = false;
        assertDeferred("encrypt", "4.7.4", "TLS is required, but was not offered by host localhost[");
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), "never MAIL in plaintext");
    }

    @Test
    void responseInjectionAfterStartTlsAborts() throws Exception {
        server.injectAfterStartTls = "250-injected\r\n250 AUTH LOGIN\r\n";
        assertDeferred("encrypt", "4.7.5", "sent data after its STARTTLS reply");
        assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")));
    }

    @Test
    void refusedStartTlsUnderEncryptDefers() throws Exception {
        server.startTlsReply = "454 4.7.0 TLS not available due to local problem";
        assertDeferred("encrypt", "4.7.5", "refused STARTTLS");
    }

    private void assertDeferred(String level, String dsn, String text) throws Exception {
        try (SmtpDeliveryAgent a = agent(level)) {
            List<RecipientResult> r = a.deliver(request(hop(), "Subject: x\r\n\r\nhello\r\n", "you@example.org"));
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r.get(0), r.toString());
            assertEquals(dsn, d.dsn());
            assertTrue(d.diagnostic().contains(text), d.diagnostic());
        }
        assertTrue(server.rawData.isEmpty(), "nothing may be sent");
    }

    @Test
    void perRecipientResults() throws Exception {
        server.rcptReplies.put("later@example.org", "450 4.2.0 Mailbox busy");
        server.rcptReplies.put("nobody@example.org", "550 5.1.1 No such user");
        try (SmtpDeliveryAgent a = agent("none")) {
            List<RecipientResult> r = a.deliver(request(hop(), "Subject: x\r\n\r\nhi\r\n",
                    "ok@example.org", "later@example.org", "nobody@example.org"));
            assertEquals(3, r.size());
            assertTrue(r.stream().anyMatch(x -> x instanceof RecipientResult.Sent && x.recipient().toString().equals("ok@example.org")));
            RecipientResult later = r.stream().filter(x -> x.recipient().toString().equals("later@example.org")).findFirst().orElseThrow();
            assertInstanceOf(RecipientResult.Deferred.class, later);
            assertEquals("host localhost[127.0.0.1] said: 450 4.2.0 Mailbox busy (in reply to RCPT TO command)",
                    later.diagnostic().replace("0:0:0:0:0:0:0:1", "127.0.0.1"));
            RecipientResult nobody = r.stream().filter(x -> x.recipient().toString().equals("nobody@example.org")).findFirst().orElseThrow();
            assertInstanceOf(RecipientResult.Bounced.class, nobody);
            assertEquals("5.1.1", nobody.dsn());
        }
    }

    /** Like Postfix's connection cache: a second message to the same next hop reuses the connection. */
    @Test
    void connectionIsReusedForTheNextMessageThenClosed() throws Exception {
        try (SmtpDeliveryAgent a = agent("secure")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "Subject: 1\r\n\r\none\r\n", "a@example.org")).get(0));
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "Subject: 2\r\n\r\ntwo\r\n", "b@example.org")).get(0));
            assertEquals(2, server.rawData.size());
            assertEquals(1, server.commands().stream().filter(c -> c.equals("STARTTLS")).count(), "one TLS handshake");
            assertEquals(1, server.commands().stream().filter(c -> c.equals("RSET")).count(), server.commands().toString());
            long deadline = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (!server.commands().contains("QUIT") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(server.commands().contains("QUIT"), "idle connections are closed after the time limit");
        }
    }

    @Test
    void connectionRefusedDefersWithRelayNone() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        try (SmtpDeliveryAgent a = agent("none")) {
            RecipientResult r = a.deliver(request("[127.0.0.1]:" + closed, "x\r\n", "you@example.org")).get(0);
            assertInstanceOf(RecipientResult.Deferred.class, r);
            assertEquals("none", r.relay());
            assertEquals("4.4.1", r.dsn());
            assertEquals("connect to 127.0.0.1[127.0.0.1]:" + closed + ": Connection refused", r.diagnostic());
        }
    }

    /** security-vectors.md §1.4: only the final CRLF.CRLF may appear on the wire. */
    @Test
    void dotStuffingAndStrayNewlinesNeverEndDataEarly() throws Exception {
        String content = "Subject: smuggle\r\n\r\n.\r\n..\r\n.x\r\nA\n.\nB\r.\rC\n.\r\nD\r\n\u0000.\r\nlast line without newline";
        try (SmtpDeliveryAgent a = agent("none")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), content, "you@example.org")).get(0));
        }
        String wire = new String(server.rawData.get(0), StandardCharsets.ISO_8859_1);
        assertEquals(wire.length() - 5, wire.indexOf("\r\n.\r\n"), "only the terminator:\n" + wire);
        assertTrue(wire.contains("\r\n..\r\n...\r\n..x\r\n"), wire);
        String body = wire.substring(0, wire.length() - 3);
        assertTrue(body.replace("\r\n", "").indexOf('\r') < 0 && body.replace("\r\n", "").indexOf('\n') < 0, "stray CR/LF relayed");
        assertTrue(wire.endsWith("last line without newline\r\n.\r\n"), wire);
    }
}

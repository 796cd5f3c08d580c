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
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.ReservedPort;
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
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        return agent(level, 0);
    }

    private SmtpDeliveryAgent agent(String level, int reuseCountLimit) throws Exception {
        return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), level, new ClientTlsSettings(caFile, clientCert, clientKey, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), reuseCountLimit),
                new MailLog(logBytes, "desktop", "postern"));
    }

    /** A request for {@code rcpts} via {@code nexthop} with the content in memory (also SilentServerTest's). */
    static DeliveryRequest request(String nexthop, String content, String... rcpts) {
        return request(nexthop, false, content, rcpts);
    }

    private static DeliveryRequest request(String nexthop, boolean eightBitMime, String content, String... rcpts) {
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
                java.util.Arrays.stream(rcpts).map(MailAddress::parse).toList(), "smtp", nexthop, mc, Instant.now(), eightBitMime, false);
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

    @ParameterizedTest(name = "pipelining={0}")
    @ValueSource(booleans = {true, false})
    void perRecipientResults(boolean pipelining) throws Exception {
        server.offerPipelining = pipelining;
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
            assertTrue(nobody.diagnostic().endsWith("said: 550 5.1.1 No such user (in reply to RCPT TO command)"), nobody.diagnostic());
        }
        assertEquals(1, server.rawData.size());
    }

    /** RFC 2920: MAIL FROM, every RCPT TO and DATA reach the server before it has replied to any. */
    @Test
    void pipelinedTransactionSendsTheEnvelopeInOneGo() throws Exception {
        try (SmtpDeliveryAgent a = agent("none")) {
            List<RecipientResult> r = a.deliver(request(hop(), "Subject: x\r\n\r\nhi\r\n", "a@example.org", "b@example.org"));
            assertTrue(r.stream().allMatch(x -> x instanceof RecipientResult.Sent), r.toString());
        }
        assertEquals(List.of("C: MAIL FROM:<me@my.domain.example>", "C: RCPT TO:<a@example.org>", "C: RCPT TO:<b@example.org>",
                "C: DATA", "S: 250 2.1.0 Ok", "S: 250 2.1.5 Ok", "S: 250 2.1.5 Ok", "S: 354 go ahead"), transaction());
    }

    @Test
    void withoutPipeliningCommandsGoInLockStep() throws Exception {
        server.offerPipelining = false;
        try (SmtpDeliveryAgent a = agent("none")) {
            List<RecipientResult> r = a.deliver(request(hop(), "Subject: x\r\n\r\nhi\r\n", "a@example.org", "b@example.org"));
            assertTrue(r.stream().allMatch(x -> x instanceof RecipientResult.Sent), r.toString());
        }
        assertEquals(List.of("C: MAIL FROM:<me@my.domain.example>", "S: 250 2.1.0 Ok", "C: RCPT TO:<a@example.org>",
                "S: 250 2.1.5 Ok", "C: RCPT TO:<b@example.org>", "S: 250 2.1.5 Ok", "C: DATA", "S: 354 go ahead"), transaction());
    }

    /**
     * The transcript from MAIL FROM to the DATA reply, from a snapshot: the server may still be
     * appending (QUIT after the agent closed), which a live subList view would not survive.
     */
    private List<String> transaction() {
        List<String> t = List.copyOf(server.transcript);
        int from = t.indexOf("C: MAIL FROM:<me@my.domain.example>");
        return t.subList(from, t.indexOf("S: 354 go ahead") + 1);
    }

    /** Every RCPT refused and DATA refused (Postfix's smtpd): the transaction is reset and the connection kept. */
    @Test
    void allRecipientsRefusedUnderPipelining() throws Exception {
        server.rcptReplies.put("nobody@example.org", "550 5.1.1 No such user");
        server.rcptReplies.put("later@example.org", "450 4.2.0 Mailbox busy");
        try (SmtpDeliveryAgent a = agent("none")) {
            List<RecipientResult> r = a.deliver(request(hop(), "x\r\n", "nobody@example.org", "later@example.org"));
            assertInstanceOf(RecipientResult.Bounced.class, r.get(0));
            assertInstanceOf(RecipientResult.Deferred.class, r.get(1));
            assertTrue(r.get(1).diagnostic().endsWith("said: 450 4.2.0 Mailbox busy (in reply to RCPT TO command)"), r.toString());
            assertEquals(List.of("DATA", "RSET"), server.commands().subList(4, 6));
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "x\r\n", "ok@example.org")).get(0));
        }
        assertEquals(1, server.rawData.size());
        assertEquals(1, server.connections.get(), "the connection was kept");
    }

    /** RFC 2920 §3.1: DATA accepted with no recipient accepted: only the terminating dot is sent, no content. */
    @Test
    void dataAcceptedWithoutRecipientsGetsOnlyTheDot() throws Exception {
        server.dataWithoutRecipients = "354 go ahead";
        server.rcptReplies.put("nobody@example.org", "550 5.1.1 No such user");
        try (SmtpDeliveryAgent a = agent("none")) {
            List<RecipientResult> r = a.deliver(request(hop(), "Subject: secret\r\n\r\nbody\r\n", "nobody@example.org"));
            assertInstanceOf(RecipientResult.Bounced.class, r.get(0));
            assertTrue(r.get(0).diagnostic().endsWith("(in reply to RCPT TO command)"), r.toString());
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "x\r\n", "ok@example.org")).get(0));
        }
        assertEquals(".\r\n", new String(server.rawData.get(0), StandardCharsets.US_ASCII));
        assertTrue(server.commands().stream().noneMatch(c -> c.equals("RSET")), server.commands().toString());
        assertEquals(1, server.connections.get());
    }

    /** The server closed the cached connection while it was idle: a new connection carries the message. */
    @Test
    void reuseAfterTheServerClosedTheIdleConnection() throws Exception {
        server.messagesPerConnection = 1;
        server.closeWhenIdle = true;
        assertFallsBackToANewConnection(() -> Thread.sleep(200));
    }

    /**
     * The server drops the cached connection as our MAIL FROM arrives (the race the idle check
     * cannot see), silently or with 421: nothing was accepted, so a new connection takes over.
     */
    @ParameterizedTest(name = "reply={0}")
    @ValueSource(strings = {"", "421 4.4.2 scripted.test Error: timeout exceeded"})
    void reuseFallsBackWhenTheConnectionDiesAtMailFrom(String reply) throws Exception {
        server.messagesPerConnection = 1;
        server.mailReplyBeforeClose = reply.isEmpty() ? null : reply;
        assertFallsBackToANewConnection(() -> { });
        assertEquals(3, server.commands().stream().filter(c -> c.startsWith("MAIL")).count());
    }

    private interface Pause {
        void run() throws Exception;
    }

    private void assertFallsBackToANewConnection(Pause between) throws Exception {
        try (SmtpDeliveryAgent a = agent("none")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "one\r\n", "a@example.org")).get(0));
            between.run();
            List<RecipientResult> r = a.deliver(request(hop(), "two\r\n", "b@example.org", "c@example.org"));
            assertEquals(2, r.size());
            for (RecipientResult x : r) {
                RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, x, r.toString());
                assertEquals(1, sent.connectionUse(), "a new connection");
            }
        }
        assertEquals(2, server.rawData.size());
        assertEquals(2, server.connections.get());
        assertTrue(new String(server.rawData.get(1), StandardCharsets.US_ASCII).startsWith("two"));
    }

    /**
     * Interop with real Postfix smtpd: a pipelined envelope with mixed recipient verdicts, one
     * with every recipient refused (Postfix answers DATA with 554; we reset), and one more, all
     * over one connection without Postfix seeing improper pipelining.
     */
    @Test
    void pipeliningAndReuseWithRealPostfix() throws Exception {
        Path pfDir = dir.resolve("postfix");
        Files.createDirectories(pfDir);
        Path access = pfDir.resolve("rcpt_access");
        Files.writeString(access, "later@example.org 450 4.2.0 Mailbox busy\nnobody@example.org 550 5.1.1 No such user\n");
        try (PostfixInstance pf = PostfixInstance.start(pfDir, Map.of(
                "smtpd_recipient_restrictions", "check_recipient_access texthash:" + access,
                "defer_transports", "smtp"));
             SmtpDeliveryAgent a = agent("none")) {
            String pfHop = "[127.0.0.1]:" + pf.smtpPort();
            List<RecipientResult> r = a.deliver(request(pfHop, "Subject: x\r\n\r\nhi\r\n",
                    "ok@example.org", "later@example.org", "nobody@example.org"));
            assertEquals(3, r.size(), r.toString());
            RecipientResult ok = r.stream().filter(x -> x.recipient().toString().equals("ok@example.org")).findFirst().orElseThrow();
            assertInstanceOf(RecipientResult.Sent.class, ok);
            assertTrue(ok.diagnostic().startsWith("250 2.0.0 Ok: queued as "), ok.diagnostic());
            RecipientResult later = r.stream().filter(x -> x.recipient().toString().equals("later@example.org")).findFirst().orElseThrow();
            assertInstanceOf(RecipientResult.Deferred.class, later);
            assertEquals("host 127.0.0.1[127.0.0.1] said: 450 4.2.0 <later@example.org>: Recipient address rejected: Mailbox busy"
                    + " (in reply to RCPT TO command)", later.diagnostic());
            RecipientResult nobody = r.stream().filter(x -> x.recipient().toString().equals("nobody@example.org")).findFirst().orElseThrow();
            assertInstanceOf(RecipientResult.Bounced.class, nobody);
            assertEquals("5.1.1", nobody.dsn());

            r = a.deliver(request(pfHop, "x\r\n", "nobody@example.org"));
            assertInstanceOf(RecipientResult.Bounced.class, r.get(0));
            assertEquals(2, r.get(0).connectionUse());
            r = a.deliver(request(pfHop, "x\r\n", "ok@example.org"));
            assertInstanceOf(RecipientResult.Sent.class, r.get(0));
            assertEquals(3, r.get(0).connectionUse());

            String log = pf.awaitLog("to=<ok@example.org>.*\\n(.*\\n)*.*to=<ok@example.org>", Duration.ofSeconds(20));
            // PostfixInstance's port probe connects and leaves; ours is the one connection still open.
            assertEquals(1, Pattern.compile("(?<!dis)connect from").matcher(log).results().count()
                    - Pattern.compile("disconnect from").matcher(log).results().count(), log);
            assertTrue(!log.contains("improper command pipelining"), log);
        }
    }

    /** Postfix's delivery line for a reused connection: relay=..., conn_use=N, delay=... */
    @Test
    void connUseInTheLogLine() throws Exception {
        MailLog log = new MailLog(logBytes, "desktop", "postern");
        try (SmtpDeliveryAgent a = agent("none")) {
            for (int i = 1; i <= 3; i++) {
                RecipientResult r = a.deliver(request(hop(), "x\r\n", "you@example.org")).get(0);
                assertEquals(i, r.connectionUse());
                Instant now = Instant.now();
                log.delivery("smtp", "ABC" + i, r, now, now, Duration.ZERO, Duration.ZERO);
            }
        }
        String text = logBytes.toString(StandardCharsets.UTF_8);
        String relay = "relay=localhost\\[127\\.0\\.0\\.1\\]:" + server.port();
        assertTrue(Pattern.compile("ABC1: to=<you@example.org>, " + relay + ", delay=").matcher(text).find(), text);
        assertTrue(Pattern.compile("ABC2: to=<you@example.org>, " + relay + ", conn_use=2, delay=0, delays=0/0/").matcher(text).find(), text);
        assertTrue(Pattern.compile("ABC3: to=<you@example.org>, " + relay + ", conn_use=3, delay=").matcher(text).find(), text);
    }

    /** Like Postfix's connection cache: a second message to the same next hop reuses the connection. */
    @Test
    void connectionIsReusedForTheNextMessageThenClosed() throws Exception {
        try (SmtpDeliveryAgent a = agent("secure")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "Subject: 1\r\n\r\none\r\n", "a@example.org")).get(0));
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), "Subject: 2\r\n\r\ntwo\r\n", "b@example.org")).get(0));
            assertEquals(2, server.rawData.size());
            assertEquals(1, server.commands().stream().filter(c -> c.equals("STARTTLS")).count(), "one TLS handshake");
            // No RSET probe before reuse (Postfix sends one): a dead connection is caught at MAIL FROM instead.
            assertEquals(0, server.commands().stream().filter(c -> c.equals("RSET")).count(), server.commands().toString());
            assertEquals(1, server.connections.get());
            long deadline = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (!server.commands().contains("QUIT") && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(server.commands().contains("QUIT"), "idle connections are closed after the time limit");
        }
    }

    @Test
    void connectionRefusedDefersWithRelayNone() throws Exception {
        try (ReservedPort reserved = ReservedPort.reserve();
             SmtpDeliveryAgent a = agent("none")) {
            int closed = reserved.port();
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

    /** The client's BODY=8BITMIME is passed on to a next hop that offers 8BITMIME, and only then. */
    @Test
    void bodyEightBitMimeIsPassedOn() throws Exception {
        try (SmtpDeliveryAgent a = agent("none")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), true, "Subject: \u00e9\r\n\r\n\u00e9\r\n", "a@example.org")).get(0));
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(hop(), false, "Subject: x\r\n\r\nx\r\n", "b@example.org")).get(0));
        }
        List<String> mails = server.commands().stream().filter(c -> c.startsWith("MAIL")).toList();
        assertEquals(2, mails.size(), mails.toString());
        assertTrue(mails.get(0).contains(" BODY=8BITMIME"), mails.get(0));
        assertFalse(mails.get(1).contains("BODY="), mails.get(1));
    }

    /** smtp_connection_reuse_count_limit = 1: a connection takes two messages, then a new one is made. */
    @Test
    void reuseCountLimitClosesWornConnections() throws Exception {
        try (SmtpDeliveryAgent a = agent("none", 1)) {
            for (int i = 1; i <= 3; i++) {
                RecipientResult r = a.deliver(request(hop(), "x\r\n", "a" + i + "@example.org")).get(0);
                assertInstanceOf(RecipientResult.Sent.class, r);
                assertEquals(i == 2 ? 2 : 1, r.connectionUse(), "message " + i);
            }
        }
        assertEquals(2, server.connections.get());
    }
}

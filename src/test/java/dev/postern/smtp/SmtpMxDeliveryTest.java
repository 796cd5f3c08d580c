package dev.postern.smtp;

import dev.postern.dns.MxList;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.testing.LoopbackDns;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Delivery to a domain through its MX records, against a loopback DNS server and scripted SMTP
 * servers on 127.0.0.2, 127.0.0.3 and 127.0.0.4 (one port for all, as MX hosts share port 25).
 */
class SmtpMxDeliveryTest {
    LoopbackDns dns;
    final List<ScriptedSmtpServer> servers = new ArrayList<>();
    int port;
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        dns = new LoopbackDns();
        for (int attempt = 0; servers.size() < 3 && attempt < 20; attempt++) {
            closeServers();
            try {
                servers.add(new ScriptedSmtpServer(InetAddress.getByName("127.0.0.2"), 0));
                port = servers.get(0).port();
                servers.add(new ScriptedSmtpServer(InetAddress.getByName("127.0.0.3"), port));
                servers.add(new ScriptedSmtpServer(InetAddress.getByName("127.0.0.4"), port));
            } catch (IOException taken) {
                // that port was in use on another loopback address: try another
            }
        }
        assertEquals(3, servers.size(), "no port free on 127.0.0.2-4");
    }

    @AfterEach
    void tearDown() throws Exception {
        closeServers();
        dns.close();
    }

    private void closeServers() throws IOException {
        for (ScriptedSmtpServer s : servers) {
            s.close();
        }
        servers.clear();
    }

    private ScriptedSmtpServer server(int n) {
        return servers.get(n - 2); // server(2) listens on 127.0.0.2
    }

    private SmtpDeliveryAgent agent(int sessionLimit, boolean skip5xx, Duration cacheTime) throws Exception {
        NextHopSettings hops = new NextHopSettings(List.of(dns.server()), new MxList.Options(true, false, true, false, 5),
                sessionLimit, skip5xx);
        return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), "none", new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"), cacheTime, Duration.ofSeconds(300), 0,
                TlsDefaults.POSTFIX, hops), new MailLog(logBytes, "desktop", "postern"));
    }

    /** verify with smtp_tls_verify_cert_match = hostname: the certificate must name the MX host, not the domain. */
    @Test
    void verifyMatchesTheMxHostsName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        dev.postern.ca.CertificateAuthority ca = dev.postern.ca.CertificateAuthority.create("MX CA", Duration.ofDays(1));
        java.nio.file.Path caFile = dir.resolve("ca.pem");
        java.nio.file.Files.writeString(caFile, ca.certificatePem());
        server(2).certificate = ca.issueServer("mx.test", List.of("mx.test"), Duration.ofDays(1)); // the domain: wrong here
        server(3).certificate = ca.issueServer("b.mx.test", List.of("b.mx.test"), Duration.ofDays(1));
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        NextHopSettings hops = new NextHopSettings(List.of(dns.server()), new MxList.Options(true, false, true, false, 5), 2, true);
        SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), "verify", new ClientTlsSettings(caFile, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"), Duration.ofSeconds(2), Duration.ofSeconds(300), 0,
                TlsDefaults.POSTFIX, hops);
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(logBytes, "desktop", "postern"))) {
            // As Postfix: a.mx.test fails verification (a soft error, not the final server), so
            // b.mx.test, whose certificate names it, takes the mail in the same attempt.
            RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
            assertEquals("b.mx.test[127.0.0.3]:" + port, sent.relay());
        }
        assertEquals(0, delivered(2));
        String log = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("server certificate verification failed for a.mx.test[127.0.0.2]"), log);
        assertTrue(log.contains(": Server certificate not verified"), log);
        assertTrue(log.contains("Verified TLS connection established to b.mx.test[127.0.0.3]:" + port), log);
    }

    /**
     * smtp_tls_servername with an MX lookup: {@code hostname} sends the MX host's name,
     * {@code nexthop} the next-hop domain, as Postfix's tls_client.c (props->host, props->nexthop).
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"hostname, a.mx.test", "nexthop, mx.test"})
    void serverNameHostnameIsTheMxHostAndNexthopTheDomain(String setting, String sent,
                                                         @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        dev.postern.ca.CertificateAuthority ca = dev.postern.ca.CertificateAuthority.create("SNI CA", Duration.ofDays(1));
        server(2).certificate = ca.issueServer("a.mx.test", List.of("a.mx.test"), Duration.ofDays(1));
        dns.mx("mx.test", 10, "a.mx.test").a("a.mx.test", "127.0.0.2");
        NextHopSettings hops = new NextHopSettings(List.of(dns.server()), new MxList.Options(true, false, true, false, 5), 2, true);
        TlsDefaults d = TlsDefaults.POSTFIX;
        SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), "encrypt", new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"), Duration.ofSeconds(2), Duration.ofSeconds(300), 0,
                new TlsDefaults(d.fingerprintDigest(), d.fingerprintMatch(), d.ciphers(), d.mandatoryCiphers(), d.exclude(),
                        d.mandatoryExclude(), setting), hops);
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(logBytes, "desktop", "postern"))) {
            assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port), logBytes.toString(StandardCharsets.UTF_8));
        }
        assertEquals(List.of(sent), server(2).requestedServerNames);
    }

    private SmtpDeliveryAgent agent() throws Exception {
        return agent(2, true, Duration.ofSeconds(2));
    }

    private DeliveryRequest request(String nexthop) {
        return request(nexthop, Instant.now());
    }

    private DeliveryRequest request(String nexthop, Instant arrival) {
        byte[] bytes = "Subject: mx\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            public long size() {
                return bytes.length;
            }
        };
        return new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@desktop.example.org")),
                List.of(MailAddress.parse("you@" + HostPortless.of(nexthop))), "smtp", nexthop, mc, arrival, false, false);
    }

    /** The recipient's domain from a next hop such as {@code mx.test:2525}. */
    private static final class HostPortless {
        static String of(String hop) {
            String h = hop.startsWith("[") ? hop.substring(1, hop.indexOf(']')) : hop;
            int colon = h.indexOf(':');
            return colon < 0 ? h : h.substring(0, colon);
        }
    }

    private RecipientResult deliverOne(SmtpDeliveryAgent a, String nexthop) {
        List<RecipientResult> r = a.deliver(request(nexthop));
        assertEquals(1, r.size(), r.toString());
        return r.get(0);
    }

    private int delivered(int n) {
        return server(n).rawData.size();
    }

    @Test
    void lowestPreferenceFirst() throws Exception {
        dns.mx("mx.test", 20, "b.mx.test").mx("mx.test", 10, "a.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
            assertEquals("a.mx.test[127.0.0.2]:" + port, s.relay());
        }
        assertEquals(1, delivered(2));
        assertEquals(0, server(3).connections.get());
    }

    @Test
    void equalPreferencesShareTheLoad() throws Exception {
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 10, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent(2, true, Duration.ZERO)) { // no connection cache: every message picks again
            for (int i = 0; i < 24; i++) {
                assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
            }
        }
        assertEquals(24, delivered(2) + delivered(3));
        assertTrue(delivered(2) > 0 && delivered(3) > 0, "both equal-preference hosts are used: " + delivered(2) + "/" + delivered(3));
    }

    @Test
    void withoutMxTheDomainsAddressIsUsed() throws Exception {
        dns.a("plain.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "plain.test:" + port));
            assertEquals("plain.test[127.0.0.3]:" + port, s.relay());
        }
        assertTrue(dns.questions.contains("plain.test MX"), dns.questions.toString());
    }

    @Test
    void nullMxBounces() throws Exception {
        dns.nullMx("nomail.test");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Bounced b = assertInstanceOf(RecipientResult.Bounced.class, deliverOne(a, "nomail.test:" + port));
            assertEquals("5.1.10", b.dsn());
            assertEquals("Domain nomail.test does not accept mail (nullMX)", b.diagnostic());
            assertEquals("none", b.relay());
        }
        servers.forEach(s -> assertEquals(0, s.connections.get()));
    }

    @Test
    void nxdomainBounces() throws Exception {
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Bounced b = assertInstanceOf(RecipientResult.Bounced.class, deliverOne(a, "nowhere.test"));
            assertEquals("5.4.4", b.dsn());
            assertEquals("Host or domain name not found. Name service error for name=nowhere.test type=MX: Host not found",
                    b.diagnostic());
        }
    }

    @Test
    void servfailDefers() throws Exception {
        dns.servfail("broken.test");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, deliverOne(a, "broken.test:" + port));
            assertEquals("4.4.3", d.dsn());
            assertEquals("Host or domain name not found. Name service error for name=broken.test type=MX: Host not found, try again",
                    d.diagnostic());
        }
        servers.forEach(s -> assertEquals(0, s.connections.get()));
    }

    @Test
    void nextMxAfterConnectionRefused() throws Exception {
        server(2).close(); // 127.0.0.2 now refuses connections
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
            assertEquals("b.mx.test[127.0.0.3]:" + port, s.relay());
        }
        assertEquals(1, delivered(3));
        String log = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("postern/smtp[") && log.contains("]: connect to a.mx.test[127.0.0.2]:" + port + ": Connection refused"), log);
    }

    @Test
    void nextMxAfterA4xxGreeting() throws Exception {
        server(2).greeting = "421 4.3.2 a.mx.test busy, try later";
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
            assertEquals("b.mx.test[127.0.0.3]:" + port, s.relay());
        }
        assertEquals(0, delivered(2));
        assertTrue(server(2).commands().stream().noneMatch(c -> c.startsWith("MAIL") || c.startsWith("EHLO")), server(2).commands().toString());
    }

    @Test
    void a5xxGreetingIsSkippedByDefaultAndBouncesWithoutSkip() throws Exception {
        server(2).greeting = "554 5.7.1 no mail from you";
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
        }
        try (SmtpDeliveryAgent a = agent(2, false, Duration.ofSeconds(2))) {
            RecipientResult.Bounced b = assertInstanceOf(RecipientResult.Bounced.class, deliverOne(a, "mx.test:" + port));
            assertEquals("5.7.1", b.dsn());
            assertEquals("host a.mx.test[127.0.0.2] refused to talk to me: 554 5.7.1 no mail from you", b.diagnostic());
        }
        assertEquals(1, delivered(3));
    }

    @Test
    void sessionLimitCountsOnlyServersThatCompletedTheHandshake() throws Exception {
        for (int n = 2; n <= 4; n++) {
            server(n).mailReply = "451 4.3.0 host " + n + " cannot take mail now";
            dns.mx("mx.test", n * 10, "h" + n + ".mx.test").a("h" + n + ".mx.test", "127.0.0." + n);
        }
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, deliverOne(a, "mx.test:" + port));
            assertEquals("4.3.0", d.dsn());
            assertEquals("host h3.mx.test[127.0.0.3] said: 451 4.3.0 host 3 cannot take mail now (in reply to MAIL FROM command)",
                    d.diagnostic());
            assertEquals("h3.mx.test[127.0.0.3]:" + port, d.relay());
        }
        assertEquals(1, server(2).connections.get());
        assertEquals(1, server(3).connections.get());
        assertEquals(0, server(4).connections.get(), "smtp_mx_session_limit = 2");
    }

    @Test
    void greetingFailuresDoNotCountTowardsTheSessionLimit() throws Exception {
        for (int n = 2; n <= 4; n++) {
            server(n).greeting = "421 4.3.2 host " + n + " busy";
            dns.mx("mx.test", n * 10, "h" + n + ".mx.test").a("h" + n + ".mx.test", "127.0.0." + n);
        }
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, deliverOne(a, "mx.test:" + port));
            assertEquals("host h4.mx.test[127.0.0.4] refused to talk to me: 421 4.3.2 host 4 busy", d.diagnostic());
        }
        for (int n = 2; n <= 4; n++) {
            assertEquals(1, server(n).connections.get(), "Postfix 2.3+: handshake failures are not sessions (" + n + ")");
        }
    }

    @Test
    void nextMxAfterA4xxReplyToMailFrom() throws Exception {
        server(2).mailReply = "451 4.3.0 a.mx.test: queue file write error";
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        DeliveryRequest r = request("mx.test:" + port);
        try (SmtpDeliveryAgent a = agent()) {
            List<RecipientResult> results = a.deliver(r);
            assertEquals(1, results.size(), results.toString());
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, results.get(0));
            assertEquals("b.mx.test[127.0.0.3]:" + port, s.relay());
        }
        assertEquals(0, delivered(2));
        assertEquals(1, delivered(3));
        assertTrue(server(2).commands().contains("QUIT"), "the skipped server is left politely: " + server(2).commands());
        String log = logBytes.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("]: " + r.queueId() + ": host a.mx.test[127.0.0.2] said: 451 4.3.0 a.mx.test: queue file write error"
                + " (in reply to MAIL FROM command)"), log);
    }

    @Test
    void aRecipientRefusedWith4xxIsOfferedToTheNextMx() throws Exception {
        server(2).rcptReplies.put("you@mx.test", "450 4.2.0 <you@mx.test>: Recipient address rejected: greylisted");
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "mx.test:" + port));
            assertEquals("b.mx.test[127.0.0.3]:" + port, s.relay());
        }
        assertEquals(0, delivered(2));
    }

    @Test
    void a5xxReplyToMailFromBouncesWithoutTryingTheNextMx() throws Exception {
        server(2).mailReply = "550 5.7.1 you are not welcome";
        dns.mx("mx.test", 10, "a.mx.test").mx("mx.test", 20, "b.mx.test").a("a.mx.test", "127.0.0.2").a("b.mx.test", "127.0.0.3");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Bounced b = assertInstanceOf(RecipientResult.Bounced.class, deliverOne(a, "mx.test:" + port));
            assertEquals("5.7.1", b.dsn());
        }
        assertEquals(0, server(3).connections.get());
    }

    @Test
    void opportunisticTlsFallsBackToPlaintextOnlyForMailThatHasWaited() throws Exception {
        server(2).breakTlsHandshake = true;
        dns.a("plain.test", "127.0.0.2");
        NextHopSettings hops = new NextHopSettings(List.of(dns.server()), new MxList.Options(true, false, true, false, 5), 2, true,
                Duration.ofSeconds(300));
        SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(10),
                Duration.ofSeconds(10), "may", new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"), Duration.ZERO, Duration.ofSeconds(300), 0,
                TlsDefaults.POSTFIX, hops);
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(logBytes, "desktop", "postern"))) {
            // A first attempt defers: a passing TLS problem never sends new mail in the clear.
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class,
                    a.deliver(request("plain.test:" + port, Instant.now())).get(0));
            assertEquals("4.7.5", d.dsn());
            assertEquals("Cannot start TLS: handshake failure", d.diagnostic());
            assertEquals(1, server(2).connections.get());
            // After minimal_backoff_time in the queue, Postfix retries the same server without TLS.
            RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class,
                    a.deliver(request("plain.test:" + port, Instant.now().minusSeconds(301))).get(0));
            assertEquals("plain.test[127.0.0.2]:" + port, sent.relay());
        }
        assertEquals(3, server(2).connections.get(), "handshake failure, then the plaintext retry");
        assertEquals(1, delivered(2));
        List<String> cmds = server(2).commands();
        assertEquals(2, cmds.stream().filter(c -> c.equals("STARTTLS")).count(), cmds.toString());
    }

    @Test
    void bracketedNextHopSkipsTheMxLookup() throws Exception {
        dns.mx("host.test", 10, "a.mx.test").a("a.mx.test", "127.0.0.2").a("host.test", "127.0.0.4");
        try (SmtpDeliveryAgent a = agent()) {
            RecipientResult.Sent s = assertInstanceOf(RecipientResult.Sent.class, deliverOne(a, "[host.test]:" + port));
            assertEquals("host.test[127.0.0.4]:" + port, s.relay());
        }
        assertTrue(dns.questions.stream().noneMatch(q -> q.endsWith(" MX")), dns.questions.toString());
        assertEquals(1, delivered(4));
    }
}

package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.maps.Maps;
import dev.postern.server.Server;
import dev.postern.testing.TestPki;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtp_tls_session_cache_database end to end: Postern's SMTP client delivering to Postern's own
 * submission server in the seed's configuration (STARTTLS and a client certificate required, the
 * certificate being the permission to relay), one message per connection (no connection cache).
 * Resumption is seen from both ends: the client's "Reusing old session" (smtp_tls_loglevel 2) and
 * the server's postern_smtpd_tls_sessions_total{reused="true"}; the message is accepted, so the
 * server still knew the client certificate of the resumed session.
 */
class ClientTlsResumptionTest {
    @TempDir
    Path dir;

    private Server server;
    private TestPki pki;
    private final ByteArrayOutputStream clientLog = new ByteArrayOutputStream();

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /** The seed's submission server (as server.TestMta writes it) with metrics on a free port. */
    private int startSubmission() throws Exception {
        Path d = Files.createDirectories(dir.resolve("submission"));
        pki = TestPki.create(d.resolve("pki"));
        Files.writeString(d.resolve("main.cf"), String.join("\n",
                "smtpd_tls_req_ccert = yes",
                "smtpd_tls_session_cache_database = sdbm:" + d.resolve("smtpd_scache"),
                "smtpd_tls_CAfile = " + pki.caFile(),
                "smtpd_tls_cert_file = " + pki.serverCertFile(),
                "smtpd_tls_key_file = " + pki.serverKeyFile(),
                "smtpd_tls_loglevel = 1",
                "myhostname = mx.postern.test",
                "mynetworks = 192.0.2.0/24",
                "queue_directory = " + d.resolve("queue"),
                "data_directory = " + d.resolve("data"),
                "maillog_file = " + d.resolve("maillog"),
                "relayhost = [127.0.0.1]:9", // discard: nothing listens, the relayed copies stay deferred
                "postern_metrics_listen = 127.0.0.1:0", ""));
        Files.writeString(d.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o smtpd_enforce_tls=yes -o smtpd_tls_req_ccert=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n");
        server = Server.start(Server.plan(d), new ByteArrayOutputStream());
        return server.addresses().get(0).getPort();
    }

    private SmtpClientSettings settings(Path policy, Path ca, Duration sessionCache) throws Exception {
        return new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
                "may", new ClientTlsSettings(ca, pki.goodClient().certFile(), pki.goodClient().keyFile(), ">=TLSv1.2", sessionCache),
                ">=TLSv1.2", 2, List.of(Maps.open("hash:" + policy)), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ZERO, Duration.ofSeconds(300), 0); // no connection cache: a TLS handshake per message
    }

    private Path policy(String hop, String level) throws Exception {
        Path p = dir.resolve("smtp_tls_policy");
        Path tmp = dir.resolve("smtp_tls_policy.new");
        Files.writeString(tmp, hop + "\t" + level + "\n");
        Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE); // a new file: reloaded
        return p;
    }

    private static RecipientResult deliver(SmtpDeliveryAgent a, String hop) {
        byte[] body = "Subject: resume\r\n\r\nover TLS\r\n".getBytes(StandardCharsets.US_ASCII);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(body);
            }

            public long size() {
                return body.length;
            }
        };
        return a.deliver(new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@domain-a.example")),
                List.of(MailAddress.parse("friend@example.org")), "smtp", hop, mc, Instant.now(), false, false)).get(0);
    }

    private String log() {
        return clientLog.toString(StandardCharsets.UTF_8);
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** postern_smtpd_tls_sessions_total{reused="..."} of the submission server. */
    private long serverSessions(boolean reused) throws Exception {
        InetSocketAddress a = server.metricsAddress().orElseThrow();
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.getPort()
                + "/metrics")).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = Pattern.compile("(?m)^postern_smtpd_tls_sessions_total\\{reused=\"" + reused + "\"} (\\d+)").matcher(body);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void theSecondDeliveryResumesAndIsStillVerifiedAndRelayed() throws Exception {
        int port = startSubmission();
        String hop = "[localhost]:" + port;
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(settings(policy(hop, "secure"), pki.caFile(), Duration.ofSeconds(3600)),
                new MailLog(clientLog, "desktop", "postern"))) {
            for (int i = 0; i < 3; i++) {
                RecipientResult r = deliver(a, hop);
                RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, r, r + "\n" + log());
                assertTrue(sent.diagnostic().startsWith("250 2.0.0 Ok: queued as "), sent.diagnostic());
            }
        }
        String log = log();
        String relay = "localhost\\[127\\.0\\.0\\.1]:" + port;
        assertEquals(3, count(log, "looking for session smtp&\\[localhost]:" + port + "&localhost&127\\.0\\.0\\.1&" + port
                + "&secure&&[0-9A-F]{64} in smtp cache"), log);
        assertEquals(2, count(log, relay + ": Reusing old session"), "the second and third resumed:\n" + log);
        assertTrue(log.indexOf("Reusing old session") > log.indexOf("Verified TLS connection established"),
                "the first handshake was a full one:\n" + log);
        assertEquals(3, count(log, "Verified TLS connection established to " + relay + ": TLSv1\\.3 with cipher"),
                "each delivery verified at secure:\n" + log);
        assertEquals(2, serverSessions(true), "the server resumed two sessions");
        assertEquals(1, serverSessions(false), "and made one");
    }

    @Test
    void withoutTheParameterEveryConnectionHasAFullHandshake() throws Exception {
        int port = startSubmission();
        String hop = "[localhost]:" + port;
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(settings(policy(hop, "secure"), pki.caFile(), Duration.ZERO),
                new MailLog(clientLog, "desktop", "postern"))) {
            for (int i = 0; i < 2; i++) {
                assertInstanceOf(RecipientResult.Sent.class, deliver(a, hop), log());
            }
        }
        assertFalse(log().contains("session"), "no cache, nothing looked up or reused:\n" + log());
        assertEquals(2, count(log(), "Verified TLS connection established"), log());
        assertEquals(0, serverSessions(true));
        assertEquals(2, serverSessions(false));
    }

    /**
     * A session made at one level is not offered at another: the client trusts another CA, so the
     * server passes encrypt (Untrusted) and resumes there, but its session is not offered at
     * secure, where a full handshake shows the certificate and the delivery is deferred.
     */
    @Test
    void anotherLevelGetsAFullHandshakeAndItsOwnVerdict() throws Exception {
        int port = startSubmission();
        String hop = "[localhost]:" + port;
        Path table = policy(hop, "encrypt");
        SmtpClientSettings s = settings(table, pki.badCaFile(), Duration.ofSeconds(3600));
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(clientLog, "desktop", "postern"))) {
            assertInstanceOf(RecipientResult.Sent.class, deliver(a, hop), log());
            assertInstanceOf(RecipientResult.Sent.class, deliver(a, hop), log());
            assertEquals(1, count(log(), "Reusing old session"), log());
            assertEquals(2, count(log(), "Untrusted TLS connection established"), log());

            policy(hop, "secure");
            awaitPolicy(s, hop, "TLS: secure");
            RecipientResult r = deliver(a, hop);
            RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r, log());
            assertEquals("Server certificate not verified", d.diagnostic());
            assertEquals(1, count(log(), "Reusing old session"), "the encrypt session was not offered at secure:\n" + log());
            assertTrue(log().contains("server certificate verification failed for localhost[127.0.0.1]: untrusted issuer"), log());
            assertEquals(1, serverSessions(true), "the server saw one resumption only");
        }
    }

    private static void awaitPolicy(SmtpClientSettings s, String hop, String prefix) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!TlsPolicy.explainTls(s, hop).startsWith(prefix)) {
            assertTrue(System.nanoTime() < deadline, "the policy table was not reloaded: " + TlsPolicy.explainTls(s, hop));
            Thread.sleep(20);
        }
    }
}

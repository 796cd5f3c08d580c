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
import dev.postern.testing.PostfixInstance;
import dev.postern.tls.ClientTlsSettings;
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
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interop: Postern's SMTP client relays into a real Postfix configured as the seed's submission
 * server (encrypt, smtpd_tls_req_ccert = yes), with the seed's client policy on Postern's side
 * ({@code [localhost]:port secure} in smtp_tls_policy_maps) and the client certificate presented.
 * Postfix must accept the mail and log the client certificate as trusted.
 */
class SecureRelayToPostfixTest {
    @TempDir
    Path dir;

    /** The seed's submission server as a real Postfix: its CA, server and client certificates. */
    private record Seed(Path pfDir, Path caFile, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {
        /** Postfix with encrypt and a required client certificate, at this smtpd_tls_loglevel. */
        PostfixInstance start(String tlsLogLevel) throws Exception {
            return PostfixInstance.start(pfDir, Map.of(
                    "smtpd_tls_cert_file", serverCert.toString(),
                    "smtpd_tls_key_file", serverKey.toString(),
                    "smtpd_tls_CAfile", caFile.toString(),
                    "smtpd_tls_security_level", "encrypt",
                    "smtpd_tls_ask_ccert", "yes",
                    "smtpd_tls_req_ccert", "yes",
                    "smtpd_tls_loglevel", tlsLogLevel,
                    "defer_transports", "smtp"));
        }
    }

    private Seed seed() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Seed CA", Duration.ofDays(2));
        Path pfDir = Files.createDirectories(dir.resolve("postfix"));
        Path caFile = pfDir.resolve("CAcert.pem");
        Files.writeString(caFile, ca.certificatePem());
        Seed s = new Seed(pfDir, caFile, pfDir.resolve("server-cert.pem"), pfDir.resolve("server-key.pem"),
                dir.resolve("client-cert.pem"), dir.resolve("client-key.pem"));
        ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1)).writePem(s.serverCert(), s.serverKey());
        ca.issueClient("desktop.example.org", Duration.ofDays(1)).writePem(s.clientCert(), s.clientKey());
        return s;
    }

    @Test
    void secureRelayWithAClientCertificateIntoPostfix() throws Exception {
        Seed seed = seed();
        Path caFile = seed.caFile();
        Path clientCert = seed.clientCert();
        Path clientKey = seed.clientKey();
        try (PostfixInstance pf = seed.start("1")) {
            String hop = "[localhost]:" + pf.smtpPort();
            Path policy = dir.resolve("smtp_tls_policy");
            Files.writeString(policy, hop + "\tsecure\n");
            ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
            SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(10), Duration.ofSeconds(30),
                    Duration.ofSeconds(30), "may", new ClientTlsSettings(caFile, clientCert, clientKey, ">=TLSv1.2"), ">=TLSv1.2", 1,
                    List.of(Maps.open("hash:" + policy)), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                    Duration.ofSeconds(2), Duration.ofSeconds(300), 0);
            byte[] body = "Subject: seed\r\n\r\nover verified TLS\r\n".getBytes(StandardCharsets.US_ASCII);
            MessageContent mc = new MessageContent() {
                public InputStream open() {
                    return new ByteArrayInputStream(body);
                }

                public long size() {
                    return body.length;
                }
            };
            List<RecipientResult> r;
            try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(logBytes, "desktop", "postern"))) {
                r = a.deliver(new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@domain-a.example")),
                        List.of(MailAddress.parse("friend@example.org")), "smtp", hop, mc, Instant.now(), false, false));
            }
            RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, r.get(0), r + "\n" + pf.log());
            assertTrue(sent.diagnostic().startsWith("250 2.0.0 Ok: queued as "), sent.diagnostic());
            String ours = logBytes.toString(StandardCharsets.UTF_8);
            assertTrue(ours.matches("(?s).*Verified TLS connection established to localhost\\[127\\.0\\.0\\.1\\]:" + pf.smtpPort()
                    + ": TLSv1\\.3 with cipher TLS_\\w+ \\((128/128|256/256) bits\\).*"), ours);
            String log = pf.awaitLog("from=<me@domain-a.example>", Duration.ofSeconds(20));
            java.util.regex.Matcher trusted = java.util.regex.Pattern.compile(
                    "Trusted TLS connection established from \\S+\\[127\\.0\\.0\\.1\\]: (TLSv1\\.3 with cipher \\S+ \\(\\d+/\\d+ bits\\))")
                    .matcher(log);
            assertTrue(trusted.find(), log);
            // The same session seen from both ends: Postern names the cipher and its strength as Postfix does.
            assertTrue(ours.contains("Verified TLS connection established to localhost[127.0.0.1]:" + pf.smtpPort() + ": "
                    + trusted.group(1)), ours + "\n" + log);
            assertTrue(!log.contains("Client certificate not trusted") && !log.contains("No client certificate presented"), log);
        }
    }

    /**
     * smtp_tls_session_cache_database set: one message per connection (no connection cache), the
     * second connection resumes the session of the first, each is Verified at secure (a resumed one
     * with the certificates its session carries), and Postfix (smtpd_tls_loglevel 2) logs the reuse
     * and still trusts the client certificate.
     */
    @Test
    void theNextConnectionsResumeTheSessionAndAreVerifiedAgain() throws Exception {
        Seed seed = seed();
        Path caFile = seed.caFile();
        Path clientCert = seed.clientCert();
        Path clientKey = seed.clientKey();
        try (PostfixInstance pf = seed.start("2")) {
            String hop = "[localhost]:" + pf.smtpPort();
            Path policy = dir.resolve("smtp_tls_policy");
            Files.writeString(policy, hop + "\tsecure\n");
            ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
            SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(10), Duration.ofSeconds(30),
                    Duration.ofSeconds(30), "may", new ClientTlsSettings(caFile, clientCert, clientKey, ">=TLSv1.2",
                    Duration.ofSeconds(3600)), ">=TLSv1.2", 2, List.of(Maps.open("hash:" + policy)),
                    List.of("nexthop", "dot-nexthop"), List.of("hostname"), Duration.ZERO, Duration.ofSeconds(300), 0);
            byte[] body = "Subject: seed\r\n\r\nover resumed TLS\r\n".getBytes(StandardCharsets.US_ASCII);
            MessageContent mc = new MessageContent() {
                public InputStream open() {
                    return new ByteArrayInputStream(body);
                }

                public long size() {
                    return body.length;
                }
            };
            try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(logBytes, "desktop", "postern"))) {
                for (int i = 0; i < 3; i++) {
                    List<RecipientResult> r = a.deliver(new DeliveryRequest(QueueId.next(),
                            ReversePath.of(MailAddress.parse("me@domain-a.example")), List.of(MailAddress.parse("friend@example.org")),
                            "smtp", hop, mc, Instant.now(), false, false));
                    RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, r.get(0), r + "\n" + pf.log());
                    assertTrue(sent.diagnostic().startsWith("250 2.0.0 Ok: queued as "), sent.diagnostic());
                }
            }
            String ours = logBytes.toString(StandardCharsets.UTF_8);
            String relay = "localhost[127.0.0.1]:" + pf.smtpPort();
            int resumed = ours.split(java.util.regex.Pattern.quote(relay + ": Reusing old session"), -1).length - 1;
            // Postfix issues one ticket per full handshake and none when it resumes one, and a TLS
            // 1.3 ticket is used once (BoringSSL; RFC 8446 C.4): so full, resumed, full.
            assertEquals(1, resumed, "the second connection resumed:\n" + ours);
            assertTrue(ours.indexOf("Reusing old session") > ours.indexOf("Verified TLS"), ours);
            assertEquals(3, ours.split(java.util.regex.Pattern.quote("Verified TLS connection established to " + relay + ": TLSv1.3"),
                    -1).length - 1, "every connection verified at secure:\n" + ours);
            String log = pf.awaitLog("(?s)(from=<me@domain-a\\.example>.*){3}", Duration.ofSeconds(20));
            assertEquals(resumed, log.split(java.util.regex.Pattern.quote("Reusing old session (RFC 5077 session ticket)"), -1).length - 1,
                    "Postfix resumed as often:\n" + log);
            assertEquals(3, log.split("Trusted TLS connection established from", -1).length - 1,
                    "and trusted the client certificate each time:\n" + log);
            assertTrue(!log.contains("Client certificate not trusted") && !log.contains("No client certificate presented"), log);
        }
    }
}

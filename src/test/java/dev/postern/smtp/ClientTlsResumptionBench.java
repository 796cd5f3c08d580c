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
import dev.postern.server.Server;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Not a test (not run by the suite: its name does not end in Test): what client TLS session
 * resumption saves on the seed's desktop-to-submission path. Postern's SMTP client delivers to
 * Postern's submission server in this JVM (the seed's configuration: STARTTLS and a client
 * certificate required; RSA-2048 CA, server and client keys as TinyCA2 makes them), one message per
 * connection (no connection cache, as once smtp_connection_cache_time_limit has passed), at the
 * secure level, alternating rounds with smtp_tls_session_cache_database empty and set. The
 * delivering thread does all of the client's work (socket I/O and TLS included), so its CPU time
 * is the client's; the JVM's CPU time adds the server's. Run:
 * {@code ./mvnw -o -q -B test -Dtest=ClientTlsResumptionBench -Dbench.n=1000 -Dbench.rounds=4 -Djdeb.skip=true -Dassembly.skipAssembly=true}
 * and read target/surefire-reports/dev.postern.smtp.ClientTlsResumptionBench-output.txt.
 */
class ClientTlsResumptionBench {
    @TempDir
    Path dir;

    @Test
    void cpuPerDeliveryWithAndWithoutResumption() throws Exception {
        int n = Integer.getInteger("bench.n", 1000);
        int rounds = Integer.getInteger("bench.rounds", 4);
        int warmup = Integer.getInteger("bench.warmup", 500);
        CertificateAuthority ca = CertificateAuthority.create("Bench CA", Duration.ofDays(2), CertificateAuthority.KeyType.RSA_2048);
        Path d = Files.createDirectories(dir.resolve("submission"));
        Path caFile = d.resolve("CAcert.pem");
        Files.writeString(caFile, ca.certificatePem());
        ca.issueServer("localhost", List.of("localhost"), Duration.ofDays(1)).writePem(d.resolve("server-cert.pem"), d.resolve("server-key.pem"));
        ca.issueClient("desktop.example.org", Duration.ofDays(1)).writePem(dir.resolve("client-cert.pem"), dir.resolve("client-key.pem"));
        Files.writeString(d.resolve("main.cf"), String.join("\n",
                "smtpd_tls_req_ccert = yes",
                "smtpd_tls_CAfile = " + caFile,
                "smtpd_tls_cert_file = " + d.resolve("server-cert.pem"),
                "smtpd_tls_key_file = " + d.resolve("server-key.pem"),
                "myhostname = mx.postern.test",
                "mynetworks = 192.0.2.0/24",
                "queue_directory = " + d.resolve("queue"),
                "data_directory = " + d.resolve("data"),
                "maillog_file = " + d.resolve("maillog"),
                "relayhost = [127.0.0.1]:9", ""));
        Files.writeString(d.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o smtpd_enforce_tls=yes -o smtpd_tls_req_ccert=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n");
        try (Server server = Server.start(Server.plan(d), OutputStream.nullOutputStream())) {
            String hop = "[localhost]:" + server.addresses().get(0).getPort();
            Path policy = dir.resolve("smtp_tls_policy");
            Files.writeString(policy, hop + "\tsecure\n");
            MailLog log = new MailLog(OutputStream.nullOutputStream(), "desktop", "postern");
            try (SmtpDeliveryAgent off = new SmtpDeliveryAgent(settings(policy, caFile, Duration.ZERO), log);
                 SmtpDeliveryAgent on = new SmtpDeliveryAgent(settings(policy, caFile, Duration.ofSeconds(3600)), log)) {
                run(off, hop, warmup);
                run(on, hop, warmup);
                List<String> lines = new ArrayList<>();
                for (int r = 1; r <= rounds; r++) {
                    for (SmtpDeliveryAgent a : List.of(off, on)) {
                        lines.add("RESULT round=" + r + " cache=" + (a == on ? "on " : "off") + " " + run(a, hop, n));
                    }
                }
                System.out.println("RSA key operations: " + dev.postern.tls.NativeRsaKey.status() + "; TLS: "
                        + io.netty.handler.ssl.OpenSsl.versionString() + "; CPUs: " + Runtime.getRuntime().availableProcessors());
                System.out.println(String.join("\n", lines));
            }
        }
    }

    private static SmtpClientSettings settings(Path policy, Path ca, Duration cache) throws Exception {
        Path dir = policy.getParent();
        return new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(30),
                "may", new ClientTlsSettings(ca, dir.resolve("client-cert.pem"), dir.resolve("client-key.pem"), ">=TLSv1.2", cache),
                ">=TLSv1.2", 1, List.of(Maps.open("hash:" + policy)), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ZERO, Duration.ofSeconds(300), 0);
    }

    /** {@code n} deliveries, one per connection; the client's and the JVM's CPU per delivery, and the rate. */
    private static String run(SmtpDeliveryAgent a, String hop, int n) {
        byte[] body = ("Subject: bench\r\n\r\n" + "x".repeat(4000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(body);
            }

            public long size() {
                return body.length;
            }
        };
        var threads = ManagementFactory.getThreadMXBean();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long jvm0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            RecipientResult r = a.deliver(new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@domain-a.example")),
                    List.of(MailAddress.parse("friend@example.org")), "smtp", hop, mc, Instant.now(), false, false)).get(0);
            assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        double client = (threads.getCurrentThreadCpuTime() - cpu0) / 1e6 / n;
        double jvm = (os.getProcessCpuTime() - jvm0) / 1e6 / n;
        return String.format("n=%d client_cpu_ms_per_msg=%.3f jvm_cpu_ms_per_msg=%.3f msgs_per_s=%.1f", n, client, jvm, n / secs);
    }
}

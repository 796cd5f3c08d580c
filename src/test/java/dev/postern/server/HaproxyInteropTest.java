package dev.postern.server;

import dev.postern.testing.HaproxyInstance;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's submission service behind a real HAProxy in TCP mode: STARTTLS and the client
 * certificate run end to end through the proxy (it never sees inside TLS), with send-proxy (v1)
 * and send-proxy-v2, and implicit TLS (smtpd_tls_wrappermode) behind send-proxy-v2. Clients
 * connect from 127.0.0.2 .. 127.0.0.6 while HAProxy connects to Postern from 127.0.0.1, so each
 * log line, Received: header and access check shows which address Postern used.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HaproxyInteropTest {
    @TempDir
    static Path dir;
    TestMta mta;
    HaproxyInstance haproxy;

    @BeforeAll
    void start() throws Exception {
        HaproxyInstance.requirePeers();
        mta = TestMta.start(dir, "smtpd_upstream_proxy_protocol = haproxy\n"
                        + "smtpd_peername_lookup = no\n"
                        + "smtpd_client_restrictions = check_client_access inline:{ 127.0.0.3=REJECT }\n",
                // Implicit TLS, behind the proxy as the main.cf says.
                "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_wrappermode=yes -o smtpd_tls_req_ccert=yes\n"
                        + "  -o smtpd_recipient_restrictions=permit_tls_all_clientcerts,reject\n"
                        // The same service without the proxy: master.cf -o turns it off per service.
                        + "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_upstream_proxy_protocol= -o smtpd_recipient_restrictions=reject\n");
        InetSocketAddress submission = mta.server.addresses().get(0);
        InetSocketAddress implicitTls = mta.server.addresses().get(1);
        haproxy = HaproxyInstance.start(dir.resolve("haproxy"), List.of(
                new HaproxyInstance.Route(submission, "send-proxy"),
                new HaproxyInstance.Route(submission, "send-proxy-v2"),
                new HaproxyInstance.Route(implicitTls, "send-proxy-v2"),
                // A health-checked server: HAProxy's v2 checks carry a LOCAL header.
                new HaproxyInstance.Route(submission, "send-proxy-v2 check inter 300", "option smtpchk HELO lb.example")));
    }

    @AfterAll
    void stop() throws Exception {
        if (haproxy != null) {
            haproxy.close();
        }
        if (mta != null) {
            mta.close();
        }
    }

    private static InetAddress source(int last) throws Exception {
        return InetAddress.getByAddress(new byte[]{127, 0, 0, (byte) last});
    }

    /** The seed's client path through the proxy: 220, EHLO, STARTTLS, client certificate, one message. */
    private String sendWithStartTls(int frontend, int from) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(haproxy.frontend(frontend), source(from))) {
            String greeting = c.reply();
            assertNotNull(greeting, "no greeting through haproxy; its log:\n" + haproxy.log());
            assertTrue(greeting.startsWith("220 "), greeting);
            assertTrue(c.command("EHLO fred").contains("250-STARTTLS"));
            assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
            TestPki.Client cert = mta.pki.goodClient();
            c.startTls(mta.pki.caCertificate(), cert.certificate(), cert.key());
            return transaction(c);
        }
    }

    private static String transaction(SmtpTestClient c) throws Exception {
        assertTrue(c.command("EHLO fred").startsWith("250-"));
        assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
        assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<someone@somewhere.else.example>"));
        assertTrue(c.command("DATA").startsWith("354 "));
        String queued = c.command("Subject: through haproxy\r\n\r\nhello\r\n.");
        assertTrue(queued.matches("250 2\\.0\\.0 Ok: queued as [0-9A-F]+"), queued);
        assertEquals("221 2.0.0 Bye", c.command("QUIT"));
        return queued.substring(queued.lastIndexOf(' ') + 1);
    }

    /** The message with queue id {@code qid} at the next hop. */
    private RecordingSink.Message delivered(String qid) throws Exception {
        for (int i = 0; i < 10; i++) {
            RecordingSink.Message m = mta.sink.take(20);
            assertNotNull(m, "the next hop never received " + qid);
            if (m.data().contains(" id " + qid)) {
                return m;
            }
        }
        throw new AssertionError("never delivered: " + qid);
    }

    private void assertClientSeenAs(String qid, String address) throws Exception {
        String log = mta.awaitLog(qid + ": removed", Duration.ofSeconds(20));
        String client = "unknown[" + address + "]";
        assertTrue(log.contains("connect from " + client), log);
        assertTrue(log.contains("Trusted TLS connection established from " + client), log);
        assertTrue(log.contains(qid + ": client=" + client), log);
        // HAProxy's health checks come from 127.0.0.1 (LOCAL): they connect, but never get this far.
        assertFalse(log.contains("client=unknown[127.0.0.1]") || log.contains("from unknown[127.0.0.1]: TLS"),
                "HAProxy's own address was used:\n" + log);
        RecordingSink.Message m = delivered(qid);
        assertTrue(m.data().startsWith("Received: from fred (unknown [" + address + "])\r\n"), m.data());
    }

    @Test
    void startTlsWithClientCertificateThroughSendProxyV1() throws Exception {
        assertClientSeenAs(sendWithStartTls(0, 2), "127.0.0.2");
    }

    @Test
    void startTlsWithClientCertificateThroughSendProxyV2() throws Exception {
        assertClientSeenAs(sendWithStartTls(1, 5), "127.0.0.5");
    }

    @Test
    void implicitTlsWithClientCertificateThroughSendProxyV2() throws Exception {
        String qid;
        try (SmtpTestClient c = new SmtpTestClient(haproxy.frontend(2), source(6))) {
            TestPki.Client cert = mta.pki.goodClient();
            c.startTls(mta.pki.caCertificate(), cert.certificate(), cert.key());
            assertTrue(c.reply().startsWith("220 "));
            qid = transaction(c);
        }
        assertClientSeenAs(qid, "127.0.0.6");
    }

    @Test
    void accessChecksSeeTheReportedClient() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(haproxy.frontend(1), source(3))) {
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO fred").startsWith("250-"));
            assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
            TestPki.Client cert = mta.pki.goodClient();
            c.startTls(mta.pki.caCertificate(), cert.certificate(), cert.key());
            assertTrue(c.command("EHLO fred").startsWith("250-"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
            assertEquals("554 5.7.1 <unknown[127.0.0.3]>: Client host rejected: Access denied",
                    c.command("RCPT TO:<someone@somewhere.else.example>"));
        }
        mta.awaitLog("NOQUEUE: reject: RCPT from unknown\\[127\\.0\\.0\\.3\\]: 554 5\\.7\\.1 <unknown\\[127\\.0\\.0\\.3\\]>",
                Duration.ofSeconds(10));
    }

    @Test
    void healthChecksWithALocalHeaderAreServed() throws Exception {
        String log = mta.awaitLog("disconnect from unknown\\[127\\.0\\.0\\.1\\] helo=1 quit=1 commands=2",
                Duration.ofSeconds(20));
        assertFalse(log.contains("haproxy read"), "no check may be refused:\n" + log);
    }

    @Test
    void aServiceWithoutTheProxyOptionTakesDirectClients() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.server.addresses().get(2), source(4))) {
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
        }
        mta.awaitLog("disconnect from unknown\\[127\\.0\\.0\\.4\\]", Duration.ofSeconds(10));
    }
}

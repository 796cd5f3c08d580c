package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A client on [::1] is written as Postfix writes it: {@code localhost[::1]} in the mail log
 * (smtpd_peer.c state->addr, from getnameinfo NI_NUMERICHOST, i.e. inet_ntop's compressed form) and
 * {@code (localhost [IPv6:::1])} in the Received: header (smtpd.c "Received: from %s (%s [%s])" with
 * state->rfc_addr = IPV6_COL + addr), never the JDK's {@code 0:0:0:0:0:0:0:1}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Ipv6ClientTest {
    @TempDir
    static Path dir;
    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(loopbackV6Available(), "IPv6 loopback [::1] cannot be bound on this host; skipping the IPv6 client tests");
        mta = TestMta.start(dir, "smtpd_tls_received_header = yes\n",
                "[::1]:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_ask_ccert=yes\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_relay_restrictions=\n"
                        + "  -o smtpd_recipient_restrictions=permit_tls_all_clientcerts,reject\n");
    }

    private static boolean loopbackV6Available() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("::1"), 0));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (mta != null) {
            mta.close();
        }
    }

    private InetSocketAddress v6() {
        InetSocketAddress a = mta.server.addresses().get(1);
        assertTrue(a.getAddress() instanceof Inet6Address, "listener is on IPv6: " + a);
        return a;
    }

    @Test
    void logAndReceivedHeaderUsePostfixsIpv6Forms() throws Exception {
        String queued;
        try (SmtpTestClient c = new SmtpTestClient(v6())) {
            assertTrue(c.reply().startsWith("220 "));
            c.command("EHLO fred");
            assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            c.command("EHLO fred");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<someone@somewhere.else.example>"));
            assertTrue(c.command("DATA").startsWith("354 "));
            queued = c.command("Subject: v6\r\n\r\nhello\r\n.");
            assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
            c.command("QUIT");
        }
        String qid = queued.substring(queued.lastIndexOf(' ') + 1);
        RecordingSink.Message m = mta.sink.take(20);
        assertNotNull(m, "the next hop never received the message");
        assertTrue(m.data().startsWith("Received: from fred (localhost [IPv6:::1])\r\n"), m.data());
        String log = mta.awaitLog("disconnect from localhost\\[::1\\]", Duration.ofSeconds(10));
        assertTrue(log.contains("connect from localhost[::1]"), log);
        assertTrue(log.contains("TLS connection established from localhost[::1]: TLSv1."), log);
        assertTrue(log.contains(qid + ": client=localhost[::1]"), log);
        assertFalse(log.lines().anyMatch(l -> l.contains("/smtpd[") && l.contains("0:0:0:0:0:0:0:1")), log);
    }

    @Test
    void rejectLogUsesCompressedAddress() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(v6())) {
            c.reply();
            c.command("EHLO fred");
            c.command("MAIL FROM:<me@my.domain.example>");
            assertTrue(c.command("RCPT TO:<someone@somewhere.else.example>").startsWith("554 5.7.1 "));
        }
        mta.awaitLog("NOQUEUE: reject: RCPT from localhost\\[::1\\]: 554 5\\.7\\.1 ", Duration.ofSeconds(10));
    }

    /** inet_ntop(AF_INET6) vectors (glibc; RFC 5952 §4) for the formatter behind both forms. */
    @Test
    void compressedFormMatchesInetNtop() throws Exception {
        java.lang.reflect.Method ipv6 = Class.forName("dev.postern.smtpd.PeerNames").getDeclaredMethod("ipv6", byte[].class);
        ipv6.setAccessible(true);
        String[][] cases = {
                {"0:0:0:0:0:0:0:1", "::1"},
                {"0:0:0:0:0:0:0:0", "::"},
                {"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
                {"2001:DB8:0:1:0:0:0:1", "2001:db8:0:1::1"},
                {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
                {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
                {"fe80:0:0:0:0:0:0:0", "fe80::"},
                {"2001:0db8:00aa:0:0:0:0:0", "2001:db8:aa::"},
                {"0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1"},
                {"0:0:0:0:0:0:c000:0201", "::192.0.2.1"},
        };
        for (String[] c : cases) {
            byte[] raw = InetAddress.getByName(c[0]).getAddress();
            if (raw.length == 4) { // the JDK turns ::ffff:a.b.c.d into an Inet4Address
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(raw, 0, mapped, 12, 4);
                raw = mapped;
            }
            assertEquals(c[1], ipv6.invoke(null, (Object) raw), c[0]);
        }
    }
}

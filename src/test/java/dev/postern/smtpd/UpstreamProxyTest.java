package dev.postern.smtpd;

import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtpd_upstream_proxy_protocol = haproxy with raw PROXY v1/v2 headers over real loopback sockets.
 * Every connection comes from 127.0.0.1, which is in mynetworks here: that a client the header
 * names outside it is refused relaying (and counted by anvil on its own) shows the header's
 * address is the one that is used.
 */
class UpstreamProxyTest {
    private static final String PROXY_MAIN = "smtpd_upstream_proxy_protocol = haproxy\n"
            + "smtpd_upstream_proxy_timeout = 1s\n"
            + "smtpd_peername_lookup = no\n";
    private static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    @TempDir
    Path dir;
    private SmtpdHarness smtpd;

    private SmtpdHarness start(String extraMain) throws Exception {
        smtpd = new SmtpdHarness(dir, PROXY_MAIN + extraMain, Executors.newSingleThreadExecutor());
        return smtpd;
    }

    @AfterEach
    void stop() throws Exception {
        if (smtpd != null) {
            smtpd.close();
        }
    }

    /** A v2 PROXY header for TCP over IPv4 ({@code command} 0x21 PROXY, 0x20 LOCAL). */
    private static String v2(int command, int family, byte[] addresses) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(V2_SIGNATURE);
        b.write(command);
        b.write(family);
        b.write(addresses.length >> 8);
        b.write(addresses.length & 0xff);
        b.writeBytes(addresses);
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    private static byte[] tcp4(int[] src, int[] dst, int sport, int dport) {
        byte[] a = new byte[12];
        for (int i = 0; i < 4; i++) {
            a[i] = (byte) src[i];
            a[4 + i] = (byte) dst[i];
        }
        a[8] = (byte) (sport >> 8);
        a[9] = (byte) sport;
        a[10] = (byte) (dport >> 8);
        a[11] = (byte) dport;
        return a;
    }

    private String awaitLog(String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (p.matcher(smtpd.log()).find()) {
                return smtpd.log();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("log never matched /" + regex + "/:\n" + smtpd.log());
    }

    @Test
    void v1HeaderNamesTheClientForLogsAndMynetworks() throws Exception {
        start("");
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            // Header and the first command in one write: the command must not be lost.
            c.sendRaw("PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\nEHLO outside.example\r\n");
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.reply().startsWith("250-"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@outside.example>"));
            assertEquals("554 5.7.1 <b@elsewhere.example>: Recipient address rejected: Access denied",
                    c.command("RCPT TO:<b@elsewhere.example>"));
        }
        String log = awaitLog("disconnect from unknown\\[192\\.0\\.2\\.7\\]");
        assertTrue(log.contains("connect from unknown[192.0.2.7]"), log);
        assertTrue(log.contains("NOQUEUE: reject: RCPT from unknown[192.0.2.7]"), log);
        assertTrue(!log.contains("[127.0.0.1]"), "the proxy's own address must not appear:\n" + log);
    }

    @Test
    void v2HeaderInsideMynetworksIsTrusted() throws Exception {
        start("");
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw(v2(0x21, 0x11, tcp4(new int[]{127, 0, 0, 9}, new int[]{127, 0, 0, 1}, 50000, 25)));
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO inside.example").startsWith("250-"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@inside.example>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<b@elsewhere.example>"));
        }
        awaitLog("disconnect from unknown\\[127\\.0\\.0\\.9\\]");
    }

    @Test
    void v2HeaderWithAnIpv6Client() throws Exception {
        start("");
        byte[] a = new byte[36];
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x0d;
        a[3] = (byte) 0xb8;
        a[15] = 0x05;
        a[31] = 0x01;
        a[32] = (byte) 0xc3;
        a[33] = 0x50;
        a[35] = 25;
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw(v2(0x21, 0x21, a));
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
        }
        awaitLog("connect from unknown\\[2001:db8::5\\]");
    }

    /**
     * Implicit TLS: a ClientHello in the same segment as the header must reach the TLS handler the
     * session puts first in the pipeline, not the SMTP decoder.
     */
    @Test
    void aClientHelloRightBehindTheHeaderReachesTls() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        start("smtpd_tls_wrappermode = yes\nsmtpd_tls_cert_file = " + pki.serverCertFile()
                + "\nsmtpd_tls_key_file = " + pki.serverKeyFile() + "\n");
        SSLEngine client = SSLContext.getDefault().createSSLEngine("mx.postern.test", 465);
        client.setUseClientMode(true);
        ByteBuffer hello = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        client.wrap(ByteBuffer.allocate(0), hello);
        hello.flip();
        byte[] header = "PROXY TCP4 192.0.2.10 127.0.0.1 40000 465\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] both = new byte[header.length + hello.remaining()];
        System.arraycopy(header, 0, both, 0, header.length);
        hello.get(both, header.length, both.length - header.length);
        try (Socket s = new Socket()) {
            s.connect(smtpd.address(), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(both); // one write, one segment on loopback
            assertEquals(0x16, s.getInputStream().read(), "a TLS handshake record (ServerHello) must come back");
        }
        awaitLog("connect from unknown\\[192\\.0\\.2\\.10\\]");
    }

    @Test
    void localCommandKeepsTheProxysAddress() throws Exception {
        start("");
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw(v2(0x20, 0x00, new byte[0]));
            assertTrue(c.reply().startsWith("220 "));
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
        }
        awaitLog("disconnect from unknown\\[127\\.0\\.0\\.1\\] .*quit=1");
    }

    @Test
    void garbageIsRefusedAsPostfixDoes() throws Exception {
        start("");
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw("EHLO no-proxy-here.example\r\n");
            assertEquals("421 4.3.0 mx.postern.test Server local error", c.reply());
            assertTrue(c.isClosedByPeer());
        }
        String log = awaitLog("disconnect from unknown\\[unknown\\]");
        assertTrue(log.contains("warning: haproxy read: "), log);
        assertTrue(log.contains("EHLO no-proxy-here.example\\r\\n"), "the bad header is quoted, escaped:\n" + log);
        assertTrue(log.contains("connect from unknown[unknown]"), log);
    }

    @Test
    void unknownProtocolIsRefusedAsPostfixDoes() throws Exception {
        start("");
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw("PROXY UNKNOWN\r\n");
            assertEquals("421 4.3.0 mx.postern.test Server local error", c.reply());
        }
        awaitLog("warning: haproxy read: bad or missing protocol type: PROXY UNKNOWN\\\\r\\\\n");
    }

    @Test
    void noHeaderWithinTheTimeoutIsRefused() throws Exception {
        start("");
        long t0 = System.nanoTime();
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw("PROXY TCP4 192.0.2.7"); // never finished
            assertEquals("421 4.3.0 mx.postern.test Server local error", c.reply());
            assertTrue(c.isClosedByPeer());
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis >= 900, "smtpd_upstream_proxy_timeout = 1s, refused after " + millis + "ms");
        awaitLog("warning: haproxy read: timeout error: PROXY TCP4 192\\.0\\.2\\.7\n");
    }

    @Test
    void endOfInputBeforeTheHeaderIsLoggedAsPostfixDoes() throws Exception {
        start("");
        new SmtpTestClient(smtpd.address()).close(); // a load balancer's plain TCP health check
        String log = awaitLog("disconnect from unknown\\[unknown\\]");
        assertTrue(log.contains("warning: haproxy read: EOF"), log);
    }

    @Test
    void aTypoInTheProtocolNameIsAConfigurationError() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "smtpd_upstream_proxy_protocol = haproxyv2\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertTrue(e.getMessage().contains("main.cf:1") && e.getMessage().contains("use an empty value or haproxy"),
                e.getMessage());
    }

    @Test
    void connectionLimitsCountTheReportedClient() throws Exception {
        start("smtpd_client_connection_rate_limit = 1\n");
        String header = "PROXY TCP4 192.0.2.8 127.0.0.1 40001 25\r\n";
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw(header);
            assertTrue(c.reply().startsWith("220 "));
        }
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw(header);
            assertEquals("421 4.7.0 mx.postern.test Error: too many connections from 192.0.2.8", c.reply());
        }
        // Same proxy, another client: its own count.
        try (SmtpTestClient c = new SmtpTestClient(smtpd.address())) {
            c.sendRaw("PROXY TCP4 192.0.2.9 127.0.0.1 40002 25\r\n");
            assertTrue(c.reply().startsWith("220 "));
        }
        awaitLog("Connection rate limit exceeded: 2 from unknown\\[192\\.0\\.2\\.8\\]");
    }
}

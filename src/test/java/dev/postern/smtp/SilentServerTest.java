package dev.postern.smtp;

import dev.postern.ca.CertificateAuthority;
import dev.postern.log.MailLog;
import dev.postern.mail.RecipientResult;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A next hop that stops answering: the delivery worker waits on its own socket (SmtpConnection),
 * so the timeouts are its own, not an event loop's timer. A silent server ends the attempt after
 * smtp_helo_timeout with a deferral, and a server that takes STARTTLS and then never answers the
 * handshake ends it after smtp_starttls_timeout.
 */
class SilentServerTest {
    @TempDir
    Path dir;
    private ServerSocket listener;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    /** False: the server reads STARTTLS and never answers it. */
    private volatile boolean answerStartTls = true;

    @AfterEach
    void tearDown() throws Exception {
        if (listener != null) {
            listener.close();
        }
        for (Socket s : accepted) {
            s.close();
        }
    }

    /** Greets, then answers EHLO with {@code ehloReply} (null: never) and STARTTLS with 220, then says nothing. */
    private int serve(String ehloReply) throws Exception {
        listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            try {
                Socket s = listener.accept();
                accepted.add(s);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write("220 silent.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                StringBuilder line = new StringBuilder();
                int c;
                while ((c = in.read()) >= 0) {
                    if (c != '\n') {
                        line.append((char) c);
                        continue;
                    }
                    String cmd = line.toString().trim().toUpperCase(java.util.Locale.ROOT);
                    line.setLength(0);
                    if (cmd.startsWith("EHLO") && ehloReply != null) {
                        out.write(ehloReply.getBytes(StandardCharsets.US_ASCII));
                    } else if (cmd.equals("STARTTLS")) {
                        if (answerStartTls) {
                            out.write("220 2.0.0 Ready to start TLS\r\n".getBytes(StandardCharsets.US_ASCII));
                        }
                        while (in.read() >= 0) {
                            // swallow the ClientHello and whatever follows; never answer
                        }
                        return;
                    }
                }
            } catch (Exception e) {
                // the test closed the socket
            }
        }, "silent-server");
        t.setDaemon(true);
        t.start();
        return listener.getLocalPort();
    }

    /** smtp_helo_timeout {@code helo}, smtp_starttls_timeout {@code starttls}, Postfix's other limits. */
    private SmtpDeliveryAgent agent(String level, Path ca, Duration helo, Duration starttls) {
        CommandTimeouts p = CommandTimeouts.POSTFIX;
        try {
            return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), helo,
                    Duration.ofSeconds(1), level, new ClientTlsSettings(ca, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                    List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                    Duration.ofSeconds(2), Duration.ofSeconds(300), 0)
                    .withTimeouts(new CommandTimeouts(p.mail(), p.rcpt(), p.dataInit(), p.rset(), p.dataXfer(), starttls)),
                    new MailLog(new ByteArrayOutputStream(), "desktop", "postern"));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private Path caFile() throws Exception {
        Path ca = dir.resolve("ca.pem");
        Files.writeString(ca, CertificateAuthority.create("Silent CA", Duration.ofDays(1)).certificatePem());
        return ca;
    }

    /**
     * The deferral of one delivery to the server, which must come after 0.9 s (the 1 s timeout:
     * smtp_helo_timeout, or smtp_starttls_timeout with the helo timeout at 30 s) and well before 8 s.
     */
    private RecipientResult.Deferred deferredInTime(String level, String ehloReply, boolean handshake) throws Exception {
        int port = serve(ehloReply);
        long start = System.nanoTime();
        List<RecipientResult> r;
        Duration second = Duration.ofSeconds(1);
        Duration longer = Duration.ofSeconds(30);
        try (SmtpDeliveryAgent a = handshake ? agent(level, caFile(), longer, second) : agent(level, caFile(), second, longer)) {
            r = a.deliver(SmtpDeliveryAgentTest.request("[127.0.0.1]:" + port, "Subject: x\r\n\r\nhello\r\n", "you@example.org"));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 900 && ms < 8000, "given up after the 1 s timeout, not sooner or much later: " + ms + " ms");
        return assertInstanceOf(RecipientResult.Deferred.class, r.get(0), r.toString());
    }

    @Test
    void aServerThatNeverAnswersEhloIsGivenUpAfterTheHeloTimeout() throws Exception {
        RecipientResult.Deferred d = deferredInTime("none", null, false);
        assertEquals("4.4.2", d.dsn());
        assertTrue(d.diagnostic().matches("conversation with 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+ timed out while sending EHLO"),
                d.diagnostic());
    }

    /** smtp_starttls_timeout, not smtp_helo_timeout (30 s here), bounds the handshake. */
    @Test
    void aServerThatTakesStartTlsButNeverAnswersTheHandshakeIsGivenUpAfterTheStarttlsTimeout() throws Exception {
        RecipientResult.Deferred d = deferredInTime("encrypt", "250-silent.test\r\n250 STARTTLS\r\n", true);
        assertEquals("4.7.5", d.dsn());
        assertTrue(d.diagnostic().contains("handshake failure"), d.diagnostic());
    }

    /** smtp_starttls_timeout, not smtp_helo_timeout (30 s here), bounds the wait for the reply to STARTTLS, as Postfix. */
    @Test
    void aServerThatNeverAnswersStartTlsIsGivenUpAfterTheStarttlsTimeout() throws Exception {
        answerStartTls = false;
        RecipientResult.Deferred d = deferredInTime("encrypt", "250-silent.test\r\n250 STARTTLS\r\n", true);
        assertEquals("4.4.2", d.dsn());
        assertTrue(d.diagnostic().matches("conversation with 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+ timed out while sending STARTTLS"),
                d.diagnostic());
    }

    /** smtp_rcpt_timeout, not smtp_helo_timeout (30 s here), bounds the wait for a RCPT reply. */
    @Test
    void aServerThatNeverAnswersRcptIsGivenUpAfterTheRcptTimeout() throws Exception {
        int port = stall("RCPT");
        SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(30),
                Duration.ofSeconds(30), "none", new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0).withTimeouts(new CommandTimeouts(Duration.ofSeconds(30),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30)));
        long start = System.nanoTime();
        List<RecipientResult> r;
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(new ByteArrayOutputStream(), "desktop", "postern"))) {
            r = a.deliver(SmtpDeliveryAgentTest.request("[127.0.0.1]:" + port, "Subject: x\r\n\r\nhello\r\n", "you@example.org"));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r.get(0), r.toString());
        assertTrue(d.diagnostic().matches("conversation with 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+ timed out while sending RCPT TO"),
                d.diagnostic());
        assertTrue(ms >= 900 && ms < 10_000, "given up after the 1 s RCPT timeout: " + ms + " ms");
    }

    /**
     * A server that answers EHLO (no PIPELINING), MAIL and RCPT with 250 and DATA with 354, until
     * the command {@code stopAt}, after which it neither answers nor reads; its socket has a small
     * receive window. Returns its port.
     */
    private int stall(String stopAt) throws Exception {
        listener = new ServerSocket();
        listener.setReceiveBufferSize(4096); // before bind: a small window for the accepted socket
        listener.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        Thread t = new Thread(() -> {
            try {
                Socket s = listener.accept();
                accepted.add(s);
                OutputStream out = s.getOutputStream();
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(),
                        StandardCharsets.US_ASCII));
                out.write("220 stalling.test ESMTP\r\n".getBytes(StandardCharsets.US_ASCII));
                String line;
                while ((line = in.readLine()) != null) {
                    String cmd = line.trim().toUpperCase(java.util.Locale.ROOT);
                    if (cmd.startsWith(stopAt)) {
                        return; // silent from here on; the socket stays open until tearDown
                    }
                    if (cmd.startsWith("EHLO")) {
                        out.write("250 stalling.test\r\n".getBytes(StandardCharsets.US_ASCII));
                    } else if (cmd.startsWith("MAIL") || cmd.startsWith("RCPT")) {
                        out.write("250 2.1.0 Ok\r\n".getBytes(StandardCharsets.US_ASCII));
                    } else if (cmd.equals("DATA")) {
                        out.write("354 End data with <CR><LF>.<CR><LF>\r\n".getBytes(StandardCharsets.US_ASCII));
                        return; // and read nothing more: the socket stays open until tearDown
                    }
                }
            } catch (Exception e) {
                // the test closed the socket
            }
        }, "stalling-server");
        t.setDaemon(true);
        t.start();
        return listener.getLocalPort();
    }

    /**
     * smtp_data_xfer_timeout: a server that takes DATA and then stops reading. The content fills
     * its receive window and the client's send buffer, the write blocks (SO_TIMEOUT does not bound
     * writes), and without the write watchdog the delivery worker would wait for good.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60) // without the watchdog the write would block for good
    void aServerThatStopsReadingTheMessageIsGivenUpAfterTheDataTransferTimeout() throws Exception {
        int port = stall("NOTHING");
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        String line = "x".repeat(998) + "\r\n";
        for (int i = 0; i < 16_000; i++) { // 16 MB: more than any loopback send buffer and window hold
            body.append(line);
        }
        SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(5),
                Duration.ofSeconds(5), "none", new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0).withTimeouts(new CommandTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(2)));
        long start = System.nanoTime();
        List<RecipientResult> r;
        try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(new ByteArrayOutputStream(), "desktop", "postern"))) {
            r = a.deliver(SmtpDeliveryAgentTest.request("[127.0.0.1]:" + port, body.toString(), "you@example.org"));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r.get(0), r.toString());
        assertEquals("4.4.2", d.dsn());
        assertTrue(d.diagnostic().matches("conversation with 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+ timed out while sending message body"),
                d.diagnostic());
        assertTrue(ms >= 1900 && ms < 15_000, "given up after the 2 s transfer timeout, not sooner or much later: " + ms + " ms");
    }
}

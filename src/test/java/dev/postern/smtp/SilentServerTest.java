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
 * handshake ends it too (the handshake is bounded by the same timeout).
 */
class SilentServerTest {
    @TempDir
    Path dir;
    private ServerSocket listener;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();

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
                        out.write("220 2.0.0 Ready to start TLS\r\n".getBytes(StandardCharsets.US_ASCII));
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

    private SmtpDeliveryAgent agent(String level, Path ca) {
        try {
            return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5), Duration.ofSeconds(1),
                    Duration.ofSeconds(1), level, new ClientTlsSettings(ca, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                    List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                    Duration.ofSeconds(2), Duration.ofSeconds(300), 0),
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

    /** The deferral of one delivery to the server, which must come after 0.9 s (the 1 s timeout) and well before 8 s. */
    private RecipientResult.Deferred deferredInTime(String level, String ehloReply) throws Exception {
        int port = serve(ehloReply);
        long start = System.nanoTime();
        List<RecipientResult> r;
        try (SmtpDeliveryAgent a = agent(level, caFile())) {
            r = a.deliver(SmtpDeliveryAgentTest.request("[127.0.0.1]:" + port, "Subject: x\r\n\r\nhello\r\n", "you@example.org"));
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 900 && ms < 8000, "given up after the 1 s timeout, not sooner or much later: " + ms + " ms");
        return assertInstanceOf(RecipientResult.Deferred.class, r.get(0), r.toString());
    }

    @Test
    void aServerThatNeverAnswersEhloIsGivenUpAfterTheHeloTimeout() throws Exception {
        RecipientResult.Deferred d = deferredInTime("none", null);
        assertEquals("4.4.2", d.dsn());
        assertTrue(d.diagnostic().contains("while sending EHLO") && d.diagnostic().contains("conversation timed out"), d.diagnostic());
    }

    @Test
    void aServerThatTakesStartTlsButNeverAnswersTheHandshakeIsGivenUp() throws Exception {
        RecipientResult.Deferred d = deferredInTime("encrypt", "250-silent.test\r\n250 STARTTLS\r\n");
        assertEquals("4.7.5", d.dsn());
        assertTrue(d.diagnostic().contains("handshake failure"), d.diagnostic());
    }
}

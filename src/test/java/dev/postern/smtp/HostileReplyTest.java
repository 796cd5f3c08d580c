package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A next hop that never ends its reply: the client gives up at the bound (1000 lines, or 1 MiB for
 * one endless line), defers with a reason, and closes the connection, long before any timeout and
 * without buffering what the server sends.
 */
class HostileReplyTest {
    ScriptedSmtpServer server;

    @BeforeEach
    void start() throws Exception {
        server = new ScriptedSmtpServer();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    private RecipientResult deliver() throws Exception {
        // Timeouts of 60 s: a deferral within seconds can only come from the bounds.
        SmtpClientSettings settings = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(60),
                Duration.ofSeconds(60), Duration.ofSeconds(60), "none", new ClientTlsSettings(null, null, null, ">=TLSv1.2"),
                ">=TLSv1.2", 1, List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0);
        byte[] body = "Subject: x\r\n\r\nhello\r\n".getBytes();
        MessageContent content = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(body);
            }

            public long size() {
                return body.length;
            }
        };
        DeliveryRequest request = new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@example.org")),
                List.of(MailAddress.parse("you@example.net")), "smtp", "[127.0.0.1]:" + server.port(), content,
                Instant.now(), false, false);
        long start = System.nanoTime();
        try (SmtpDeliveryAgent agent = new SmtpDeliveryAgent(settings, new MailLog(logBytes, "h", "postern"))) {
            List<RecipientResult> r = agent.deliver(request);
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20), "bounded, not timed out");
            assertEquals(1, r.size());
            return r.get(0);
        }
    }

    @Test
    void anEndlessMultiLineReplyEndsTheSessionAfter1000Lines() throws Exception {
        server.endlessEhlo = "250-more and more\r\n";
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, deliver());
        assertTrue(d.diagnostic().contains("response longer than 1000 lines"), d.diagnostic());
        assertTrue(server.endlessStopped.await(10, TimeUnit.SECONDS), "the client must hang up");
    }

    @Test
    void anEndlessLineEndsTheSessionAfter1MiB() throws Exception {
        server.endlessEhloStart = "250 ";
        server.endlessEhlo = "x";
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, deliver());
        assertTrue(d.diagnostic().contains("response longer than 1048576 bytes"), d.diagnostic());
        assertTrue(server.endlessStopped.await(10, TimeUnit.SECONDS), "the client must hang up");
    }

    @Test
    void aTruncatedReplyLineIsWarnedAboutInTheMailLogAndTheMailStillGoes() throws Exception {
        server.greeting = "220 " + "g".repeat(3000);
        assertInstanceOf(RecipientResult.Sent.class, deliver());
        String log = logBytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(log.contains("warning: 127.0.0.1[127.0.0.1]:" + server.port() + ": response longer than 2048: 220 ggg"), log);
    }

    @Test
    void aLongLineKeepsItsFirst2048BytesAsPostfixDoes() {
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(new ReplyDecoder(() -> 0));
        ch.writeInbound(io.netty.buffer.Unpooled.copiedBuffer("250-" + "y".repeat(5000) + "\r\n250 OK\r\n",
                java.nio.charset.StandardCharsets.US_ASCII));
        ReplyDecoder.Line first = ch.readInbound();
        ReplyDecoder.Line second = ch.readInbound();
        assertEquals(2048, first.text().length());
        assertTrue(first.truncated() && first.text().startsWith("250-yyy"));
        assertEquals(new ReplyDecoder.Line("250 OK", false), second);
        assertTrue(ch.isActive());
    }
}

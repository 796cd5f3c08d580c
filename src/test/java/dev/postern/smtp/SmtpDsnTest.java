package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.Dsn;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.tls.ClientTlsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * The smtp client and RFC 3461: RET/ENVID on MAIL FROM and NOTIFY/ORCPT on RCPT TO go to a next
 * hop that announces DSN, as Postfix's smtp_proto.c writes them, and nothing to one that does not;
 * the result says whether the next hop took NOTIFY=SUCCESS over. Checked on the scripted server's
 * transcript, byte for byte.
 */
class SmtpDsnTest {
    ScriptedSmtpServer server;

    @BeforeEach
    void setUp() throws Exception {
        server = new ScriptedSmtpServer();
        server.offerStartTls = false;
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private static SmtpDeliveryAgent agent() throws Exception {
        return new SmtpDeliveryAgent(new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(5),
                Duration.ofSeconds(10), Duration.ofSeconds(10), "none", new ClientTlsSettings(null, null, null, ">=TLSv1.2"),
                ">=TLSv1.2", 1, List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                Duration.ofSeconds(2), Duration.ofSeconds(300), 0),
                new MailLog(new ByteArrayOutputStream(), "desktop", "postern"));
    }

    private DeliveryRequest request() {
        byte[] bytes = "Subject: dsn\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        MessageContent mc = new MessageContent() {
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }

            public long size() {
                return bytes.length;
            }
        };
        MailAddress a = MailAddress.parse("a@example.org");
        MailAddress b = MailAddress.parse("b@example.org");
        return new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@my.domain.example")),
                List.of(a, b), "smtp", "[127.0.0.1]:" + server.port(), mc, Instant.now(), false, false,
                new Dsn(Dsn.Ret.HDRS, "id 1+2=3"),
                Map.of(a, new RecipientDsn(Set.of(RecipientDsn.Notify.DELAY, RecipientDsn.Notify.SUCCESS), "rfc822",
                        "orig+a@example.net")));
    }

    private List<String> transaction() {
        List<String> t = List.copyOf(server.transcript); // QUIT may still be arriving
        int from = 0;
        while (!t.get(from).startsWith("C: MAIL FROM:")) {
            from++;
        }
        return t.subList(from, t.indexOf("S: 354 go ahead") + 1);
    }

    @Test
    void parametersGoToANextHopThatOffersDsn() throws Exception {
        server.offerDsn = true;
        List<RecipientResult> r;
        try (SmtpDeliveryAgent a = agent()) {
            r = a.deliver(request());
        }
        assertEquals(List.of(
                "C: MAIL FROM:<me@my.domain.example> ENVID=id+201+2B2+3D3 RET=HDRS",
                "C: RCPT TO:<a@example.org> ORCPT=rfc822;orig+2Ba@example.net NOTIFY=SUCCESS,DELAY",
                "C: RCPT TO:<b@example.org> ORCPT=rfc822;b@example.org",
                "C: DATA",
                "S: 250 2.1.0 Ok", "S: 250 2.1.5 Ok", "S: 250 2.1.5 Ok", "S: 354 go ahead"), transaction());
        RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, r.get(0));
        assertEquals(RecipientResult.SuccessNotice.PASSED_ON, sent.success(), "the next hop reports success itself");
    }

    @Test
    void nothingGoesToANextHopWithoutDsn() throws Exception {
        List<RecipientResult> r;
        try (SmtpDeliveryAgent a = agent()) {
            r = a.deliver(request());
        }
        assertEquals(List.of("C: MAIL FROM:<me@my.domain.example>", "C: RCPT TO:<a@example.org>",
                "C: RCPT TO:<b@example.org>", "C: DATA",
                "S: 250 2.1.0 Ok", "S: 250 2.1.5 Ok", "S: 250 2.1.5 Ok", "S: 354 go ahead"), transaction());
        RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, r.get(0));
        assertEquals(RecipientResult.SuccessNotice.RELAYED, sent.success(), "we owe the sender a \"relayed\" notice");
    }
}

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
import dev.postern.testing.Peers;
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
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real Postfix as the next hop (it announces DSN): it accepts the RET/ENVID/NOTIFY/ORCPT Postern
 * passes on, and its queue file (read with postcat) holds them as Postfix understood them.
 */
class PostfixDsnInteropTest {
    @TempDir
    Path dir;

    @Test
    void postfixKeepsTheDsnParametersPosternPassedOn() throws Exception {
        Path pfDir = dir.resolve("postfix");
        Files.createDirectories(pfDir);
        try (PostfixInstance pf = PostfixInstance.start(pfDir, Map.of("defer_transports", "smtp"))) {
            byte[] body = "Subject: dsn interop\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
            MessageContent mc = new MessageContent() {
                public InputStream open() {
                    return new ByteArrayInputStream(body);
                }

                public long size() {
                    return body.length;
                }
            };
            MailAddress friend = MailAddress.parse("friend@example.org");
            MailAddress other = MailAddress.parse("other@example.org");
            SmtpClientSettings s = new SmtpClientSettings("desktop.example.org", Duration.ofSeconds(10), Duration.ofSeconds(30),
                    Duration.ofSeconds(30), "none", new ClientTlsSettings(null, null, null, ">=TLSv1.2"), ">=TLSv1.2", 1,
                    List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
                    Duration.ofSeconds(2), Duration.ofSeconds(300), 0);
            List<RecipientResult> r;
            try (SmtpDeliveryAgent a = new SmtpDeliveryAgent(s, new MailLog(new ByteArrayOutputStream(), "desktop", "postern"))) {
                r = a.deliver(new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@domain-a.example")),
                        List.of(friend, other), "smtp", "[127.0.0.1]:" + pf.smtpPort(), mc, Instant.now(), false, false,
                        new Dsn(Dsn.Ret.HDRS, "envelope 42"),
                        Map.of(friend, new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS, RecipientDsn.Notify.FAILURE),
                                "rfc822", "alias+x@domain-a.example"))));
            }
            RecipientResult.Sent sent = assertInstanceOf(RecipientResult.Sent.class, r.get(0), r + "\n" + pf.log());
            assertEquals(RecipientResult.SuccessNotice.PASSED_ON, sent.success(), "Postfix announces DSN");
            String qid = sent.diagnostic().replaceFirst("^250 2\\.0\\.0 Ok: queued as ", "");
            Peers.Result cat = Peers.run(Duration.ofSeconds(30), null, List.of("/usr/sbin/postcat", "-c",
                    pfDir.resolve("conf").toString(), "-e", "-q", qid));
            assertEquals(0, cat.exit(), cat.err());
            String env = cat.out();
            assertTrue(env.contains("named_attribute: envelope_id=envelope 42"), env);
            assertTrue(env.contains("named_attribute: ret_flags=2"), "RET=HDRS is Postfix's DSN_RET_HDRS (2):\n" + env);
            assertTrue(env.contains("named_attribute: dsn_orig_rcpt=rfc822;alias+x@domain-a.example"), env);
            assertTrue(env.contains("named_attribute: dsn_orig_rcpt=rfc822;other@example.org"), "ORCPT made up as Postfix does:\n" + env);
            assertTrue(env.contains("named_attribute: notify_flags=6"), "NOTIFY=SUCCESS,FAILURE is Postfix's mask 2|4:\n" + env);
            assertEquals(1, env.split("notify_flags=", -1).length - 1, "no NOTIFY made up for the other recipient:\n" + env);
        }
    }
}

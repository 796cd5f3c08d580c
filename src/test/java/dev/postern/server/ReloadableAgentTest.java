package dev.postern.server;

import dev.postern.config.ConfigLoader;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.smtp.SmtpClientSettings;
import dev.postern.smtp.SmtpDeliveryAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A retired agent: a delivery qmgr handed out before the reload is deferred when its transport is
 * gone, and goes to main.cf's client when the transport stays (smtp or relay whose -o were removed).
 */
class ReloadableAgentTest {
    @TempDir
    Path dir;

    private SmtpDeliveryAgent agent() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "smtp_tls_security_level = none\n");
        Files.writeString(dir.resolve("master.cf"), "");
        return new SmtpDeliveryAgent(SmtpClientSettings.from(ConfigLoader.load(dir).config()),
                new MailLog(new ByteArrayOutputStream(), "h", "postern"));
    }

    private static DeliveryRequest request() {
        MessageContent content = new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(new byte[0]);
            }

            @Override
            public long size() {
                return 0;
            }
        };
        return new DeliveryRequest(QueueId.next(), ReversePath.of(MailAddress.parse("me@example.org")),
                List.of(MailAddress.parse("you@example.com")), "relay", "[192.0.2.1]", content, Instant.now(), false, false);
    }

    @Test
    void aRetiredAgentDefersOrHandsOnToItsSuccessor() throws Exception {
        try (ReloadableAgent gone = new ReloadableAgent(agent()); ReloadableAgent stays = new ReloadableAgent(agent())) {
            gone.retire();
            List<RecipientResult> r = gone.deliver(request());
            assertEquals(1, r.size());
            assertTrue(r.get(0) instanceof RecipientResult.Deferred d && d.dsn().equals("4.3.0")
                    && d.diagnostic().equals("mail transport unavailable"), r.toString());

            List<DeliveryRequest> handedOn = new ArrayList<>();
            RecipientResult sent = new RecipientResult.Deferred(MailAddress.parse("you@example.com"), "fallback", "4.0.0",
                    "from the fallback", Duration.ZERO, Duration.ZERO);
            stays.retireTo(req -> {
                handedOn.add(req);
                return List.of(sent);
            });
            DeliveryRequest req = request();
            assertEquals(List.of(sent), stays.deliver(req));
            assertEquals(List.of(req), handedOn, "main.cf's client gets the delivery the retired one was handed");
        }
    }
}

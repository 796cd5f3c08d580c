package dev.postern.bounce;

import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupSettings;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;
import dev.postern.testing.PythonEmail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Notices as queued by cleanup (read back from the real spool) and parsed by python3's email package. */
class BounceTest {
    @TempDir
    Path dir;

    private Spool spool;
    private Cleanup cleanup;
    private final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    private Bounce bounce(BounceSettings s) throws Exception {
        spool = Spool.open(dir.resolve("queue"));
        MailLog log = new MailLog(logBytes, "mx.postern.test", "postern");
        cleanup = new Cleanup(spool, new CleanupSettings("mx.postern.test", 10_240_000, 102_400), log, () -> { });
        return new Bounce(s, cleanup, log, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        if (cleanup != null) {
            cleanup.close();
            spool.close();
        }
    }

    private static MessageContent content(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        return new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(b);
            }

            @Override
            public long size() {
                return b.length;
            }
        };
    }

    private static Report report(String sender, String original, RecipientStatus... rcpts) {
        return Report.of(new QueueId("ABCDEF0123"), ReversePath.parse(sender), Instant.parse("2026-12-01T10:00:00Z"),
                List.of(rcpts), content(original));
    }

    private static RecipientStatus rejected(String rcpt, Set<RecipientStatus.Notify> notify) {
        return new RecipientStatus(MailAddress.parse(rcpt), rcpt, "5.1.1", "mx.remote.example[192.0.2.7]:25",
                "host mx.remote.example[192.0.2.7] said: 550 5.1.1 <" + rcpt + ">: User unknown (in reply to RCPT TO command)", notify);
    }

    /** The queued notices: envelope sender, recipients, content. */
    private List<String[]> queued() throws Exception {
        List<String[]> out = new ArrayList<>();
        for (Path f : spool.list(Spool.Queue.INCOMING)) {
            QueuedMessage m = spool.read(f);
            try (InputStream in = m.content().open()) {
                out.add(new String[] {m.envelope().sender().toString(), m.envelope().recipients().toString(),
                        new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)});
            }
        }
        return out;
    }

    @Test
    void anOriginalOverBounceSizeLimitIsReturnedAsHeadersOnly() throws Exception {
        BounceSettings s = BounceSettings.defaults("mx.postern.test");
        s = new BounceSettings(s.myhostname(), s.myorigin(), 100, s.notifyClasses(), s.bounceNoticeRecipient(),
                s.doubleBounceRecipient(), s.delayNoticeRecipient(), s.doubleBounceSender(), s.delayWarningTime(),
                s.maximalQueueLifetime());
        Bounce b = bounce(s);
        String original = "Subject: big one\r\nFrom: <alice@sender.example>\r\n\r\n" + "secret body line\r\n".repeat(20);
        assertTrue(b.failed(report("alice@sender.example", original, rejected("bob@remote.example", Set.of()))));
        List<String[]> q = queued();
        assertEquals(1, q.size());
        assertEquals("", q.get(0)[0], "null sender");
        assertEquals("[alice@sender.example]", q.get(0)[1]);
        Map<String, String> dsn = PythonEmail.parse(q.get(0)[2], dir);
        assertEquals("text/plain,message/delivery-status,text/rfc822-headers", dsn.get("parts"));
        assertEquals("big one", dsn.get("headers.subject"));
        assertFalse(q.get(0)[2].contains("secret body line"), "no body past bounce_size_limit");
        assertEquals("rfc822; bob@remote.example", dsn.get("rcpt0.Original-Recipient"));
        assertEquals("dns; mx.remote.example", dsn.get("rcpt0.Remote-MTA"));
        assertTrue(logBytes.toString().contains("ABCDEF0123: sender non-delivery notification: "), logBytes.toString());
    }

    @Test
    void notifyClassBounceSendsThePostmasterAHeadersOnlyCopy() throws Exception {
        BounceSettings d = BounceSettings.defaults("mx.postern.test");
        Bounce b = bounce(new BounceSettings(d.myhostname(), d.myorigin(), d.bounceSizeLimit(), Set.of("bounce"), "pm@ops.example",
                d.doubleBounceRecipient(), d.delayNoticeRecipient(), d.doubleBounceSender(), d.delayWarningTime(),
                d.maximalQueueLifetime()));
        assertTrue(b.failed(report("alice@sender.example", "Subject: hi\r\n\r\nthe body\r\n", rejected("bob@remote.example", Set.of()))));
        List<String[]> q = queued();
        assertEquals(2, q.size(), "the sender's bounce and the postmaster copy");
        String[] copy = q.stream().filter(m -> m[1].equals("[pm@ops.example]")).findFirst().orElseThrow();
        assertEquals("double-bounce@mx.postern.test", copy[0], "postmaster notices come from double_bounce_sender");
        Map<String, String> dsn = PythonEmail.parse(copy[2], dir);
        assertEquals("Postmaster Copy: Undelivered Mail", dsn.get("subject"));
        assertEquals("text/rfc822-headers", dsn.get("parts").split(",")[2]);
        assertFalse(copy[2].contains("I'm sorry"), "no boilerplate in the postmaster copy, as Postfix");
        assertTrue(logBytes.toString().contains("ABCDEF0123: postmaster non-delivery notification: "));
    }

    @Test
    void nothingIsSentForNotifyNeverOrForTheNullSenderWithout2bounce() throws Exception {
        Bounce b = bounce(BounceSettings.defaults("mx.postern.test"));
        assertTrue(b.failed(report("alice@sender.example", "Subject: x\r\n\r\nx\r\n",
                rejected("bob@remote.example", Set.of(RecipientStatus.Notify.NEVER)))));
        assertTrue(b.failed(report("", "Subject: a bounce\r\n\r\nx\r\n", rejected("alice@sender.example", Set.of()))));
        assertTrue(b.failed(report("double-bounce@mx.postern.test", "Subject: notice\r\n\r\nx\r\n", rejected("pm@ops.example", Set.of()))));
        assertEquals(0, queued().size());
        String log = logBytes.toString();
        assertTrue(log.contains("ABCDEF0123: undeliverable bounce discarded (notify_classes has no 2bounce)"), log);
        assertTrue(log.contains("ABCDEF0123: undeliverable postmaster notification discarded"), log);
    }

    @Test
    void delayNoticeSaysDelayedAndWillRetryUntil() throws Exception {
        BounceSettings d = BounceSettings.defaults("mx.postern.test");
        Bounce b = bounce(new BounceSettings(d.myhostname(), d.myorigin(), d.bounceSizeLimit(), d.notifyClasses(),
                d.bounceNoticeRecipient(), d.doubleBounceRecipient(), d.delayNoticeRecipient(), d.doubleBounceSender(),
                Duration.ofHours(4), d.maximalQueueLifetime()));
        RecipientStatus deferred = new RecipientStatus(MailAddress.parse("bob@remote.example"), null, "4.4.1", "none",
                "connect to mx.remote.example[192.0.2.7]:25: Connection timed out", Set.of());
        assertTrue(b.delayed(report("alice@sender.example", "Subject: slow\r\n\r\nbody\r\n", deferred)));
        List<String[]> q = queued();
        assertEquals(1, q.size());
        Map<String, String> dsn = PythonEmail.parse(q.get(0)[2], dir);
        assertEquals("Delayed Mail (still being retried)", dsn.get("subject"));
        assertEquals("delayed", dsn.get("rcpt0.Action"));
        assertEquals("4.4.1", dsn.get("rcpt0.Status"));
        assertEquals("X-Postfix; connect to mx.remote.example[192.0.2.7]:25: Connection timed out", dsn.get("rcpt0.Diagnostic-Code"));
        assertTrue(dsn.get("rcpt0.Will-Retry-Until").startsWith("Sun, 6 Dec 2026"), dsn.toString());
        assertTrue(dsn.get("text").contains("Your message could not be delivered for more than 4 hour(s). It will be retried until it is 5 day(s) old."),
                dsn.get("text"));
        assertEquals(null, dsn.get("rcpt0.Remote-MTA"), "no Remote-MTA when none answered");
    }
}

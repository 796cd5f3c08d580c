package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A maildrop message that can never be queued (over a message_size_limit lowered after sendmail
 * took it) is returned to its sender as Postfix's pickup/cleanup does: each recipient logged
 * status=bounced with 5.3.4, a valid RFC 3464 notice queued with the null sender and delivered,
 * the maildrop file removed, nothing in corrupt/.
 */
class PickupBounceTest {
    @TempDir
    Path dir;

    @Test
    void aMaildropMessageOverTheSizeLimitIsBouncedToItsSender() throws Exception {
        SendmailTest.writeConfigBeforeStart(dir);
        SendmailTest.Run r = SendmailTest.sendmail("Subject: too big later\n\n" + "x".repeat(5000) + "\n",
                "sendmail", "-C", dir.toString(), "-f", "alice@origin.test", "bob@remote.test", "carol");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, LocalCommand.maildrop(dir.resolve("queue")).size());

        try (TestMta mta = TestMta.start(dir, SendmailTest.ORIGIN + "message_size_limit = 3000\n", "")) {
            RecordingSink.Message notice = mta.sink.take(60);
            assertNotNull(notice, "the non-delivery notice arrives");
            assertEquals("<>", notice.mailFrom(), "a bounce has the null sender");
            assertEquals(List.of("<alice@origin.test>"), notice.rcptTo());
            String data = notice.data();
            assertTrue(data.contains("Content-Type: multipart/report; report-type=delivery-status"), data);
            assertTrue(data.contains("Final-Recipient: rfc822; bob@remote.test\r\n"), data);
            // carol as sendmail was given it: Postfix's cleanup_bounce.c reports the ORCP record too
            assertTrue(data.contains("<carol@origin.test> (expanded from <carol>)"), data);
            assertTrue(data.contains("Final-Recipient: rfc822; carol@origin.test\r\nOriginal-Recipient: rfc822;carol@origin.test\r\n"),
                    data);
            assertTrue(data.contains("Action: failed\r\nStatus: 5.3.4\r\n"), data);
            assertTrue(data.contains("message file too big"), data);
            assertTrue(data.contains("Content-Type: text/rfc822-headers") && data.contains("Subject: too big later"),
                    "the original's headers are returned: " + data);
            assertFalse(data.contains("x".repeat(100)), "not its body: " + data);

            String log = mta.awaitLog("sender non-delivery notification", Duration.ofSeconds(30));
            var m = java.util.regex.Pattern.compile("postern/cleanup\\[\\d+\\]: ([0-9A-Z]+): to=<bob@remote\\.test>, relay=none, .*"
                    + "dsn=5\\.3\\.4, status=bounced \\(message file too big\\)\n").matcher(log);
            assertTrue(m.find(), log);
            String qid = m.group(1);
            assertTrue(log.contains(qid + ": to=<carol@origin.test>, orig_to=<carol>, relay=none"), log);
            assertTrue(log.matches("(?s).*postern/bounce\\[\\d+\\]: " + qid + ": sender non-delivery notification: [0-9A-Z]+\n.*"), log);
            mta.awaitLog(qid + ": removed", Duration.ofSeconds(30));
            assertEquals(List.of(), LocalCommand.maildrop(dir.resolve("queue")), "maildrop emptied");
            try (var corrupt = Files.list(dir.resolve("queue").resolve("corrupt"))) {
                assertEquals(0, corrupt.count(), "nothing moved to corrupt/");
            }
        }
    }
}

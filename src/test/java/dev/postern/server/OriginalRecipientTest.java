package dev.postern.server;

import dev.postern.queue.QueueControl;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The original recipient of a rewritten address, end to end (Postfix's REC_TYPE_ORCP and
 * "expanded" trace records): {@code orig_to=} in the delivery log, "(expanded from <...>)" in a
 * bounce, orig_address in the queue listing, and the "expanded" success notice that a
 * NOTIFY=SUCCESS alias is owed, sent once after the first delivery attempt.
 */
class OriginalRecipientTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Server start(RecordingSink sink, String extra) throws Exception {
        Files.writeString(dir.resolve("virtual"), "team@dest.example   ann@dest.example, bob@dest.example\n"
                + "Chief@dest.example  boss@dest.example\n");
        Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                + "mydestination = desk.example\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "virtual_alias_maps = texthash:" + dir.resolve("virtual") + "\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "maximal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n"
                + extra);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        return Server.start(Server.plan(dir), null);
    }

    /** One transaction whose RCPTs (each "<address> [parameters]") are all accepted; its queue ID. */
    private static String send(Server server, String from, String... rcpts) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            for (String r : rcpts) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:" + r), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String reply = c.command("Subject: hi\r\nMessage-Id: <m1@client.example>\r\n\r\nhello\r\n.");
            assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
            c.command("QUIT");
            return reply.substring(reply.lastIndexOf(' ') + 1);
        }
    }

    /** The next {@code n} messages the sink receives, in any order. */
    private static List<RecordingSink.Message> take(RecordingSink sink, int n, String what) throws Exception {
        List<RecordingSink.Message> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(sink.expect(what + " (" + (i + 1) + " of " + n + ")"));
        }
        return out;
    }

    private static RecordingSink.Message withSubject(List<RecordingSink.Message> ms, String subject) {
        return ms.stream().filter(m -> m.data().contains("\r\nSubject: " + subject + "\r\n")).findFirst()
                .orElseThrow(() -> new AssertionError("no \"" + subject + "\" among " + ms));
    }

    private static QueueControl.Entry awaitHeld(QueueControl queue, String qid) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            java.util.Optional<QueueControl.Entry> e = queue.find(qid);
            if (e.isPresent() && e.get().queue() == dev.postern.queue.Spool.Queue.HOLD) {
                return e.get();
            }
            Thread.sleep(50); // polling the queue directory, not a synchronisation
        }
        throw new AssertionError(qid + " was never held");
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void anAliasMemberIsLoggedWithItsOriginalAndBouncedAsExpandedFromIt() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink, "")) {
            sink.rcptReplies.put("bob@dest.example", "550 5.1.1 <bob@dest.example>: no such user");
            String qid = send(server, "alice@sender.example", "<team@dest.example> NOTIFY=SUCCESS,FAILURE",
                    "<carol@dest.example>", "<chief@dest.example>");
            Path log = dir.resolve("maillog");
            // log_adhoc.c: orig_to only when it differs from the recipient (case aside)
            MailLogFile.await(log, qid + ": to=<ann@dest\\.example>, orig_to=<team@dest\\.example>, relay=\\S+, "
                    + "delay=.*status=sent", WAIT);
            MailLogFile.await(log, qid + ": to=<bob@dest\\.example>, orig_to=<team@dest\\.example>, relay=.*status=bounced", WAIT);
            MailLogFile.await(log, qid + ": to=<boss@dest\\.example>, orig_to=<chief@dest\\.example>, relay=.*status=sent", WAIT);
            String text = MailLogFile.await(log, qid + ": to=<carol@dest\\.example>, relay=.*status=sent", WAIT);
            assertFalse(text.contains("to=<carol@dest.example>, orig_to="), text);

            List<RecordingSink.Message> got = take(sink, 3, "the message, its bounce and its expanded notice");
            RecordingSink.Message bounce = withSubject(got, "Undelivered Mail Returned to Sender");
            assertEquals("<>", bounce.mailFrom());
            assertTrue(bounce.data().contains("<bob@dest.example> (expanded from <team@dest.example>): host"), bounce.data());
            assertTrue(bounce.data().contains("Final-Recipient: rfc822; bob@dest.example\r\n"
                    + "Original-Recipient: rfc822;team@dest.example\r\nAction: failed\r\n"), bounce.data());

            // cleanup_out_recipient(): the alias, not its members, is reported to a NOTIFY=SUCCESS sender
            RecordingSink.Message notice = withSubject(got, "Successful Mail Delivery Report");
            assertEquals("<>", notice.mailFrom());
            assertEquals(List.of("<alice@sender.example>"), notice.rcptTo());
            String d = notice.data();
            assertTrue(d.contains("\r\n<team@dest.example>: alias expanded\r\n"), d);
            assertTrue(d.contains("Final-Recipient: rfc822; team@dest.example\r\n"
                    + "Original-Recipient: rfc822;team@dest.example\r\n"
                    + "Action: expanded\r\nStatus: 2.0.0\r\nDiagnostic-Code: X-Postfix; alias expanded\r\n"), d);
            assertFalse(d.contains("ann@dest.example") || d.contains("bob@dest.example"), "members stay hidden:\n" + d);
            assertTrue(d.contains("Message-Id: <m1@client.example>"), "the original's headers are returned:\n" + d);
            MailLogFile.await(log, qid + ": sender delivery status notification: \\w+", WAIT);
            MailLogFile.await(log, qid + ": removed", WAIT);
        }
    }

    @Test
    void theExpandedNoticeGoesOutOnceWhileTheMembersAreRetriedAndTheListingShowsTheOriginal() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink, "")) {
            sink.rcptReplies.put("ann@dest.example", "450 4.2.0 <ann@dest.example>: try later");
            sink.rcptReplies.put("bob@dest.example", "450 4.2.0 <bob@dest.example>: try later");
            String qid = send(server, "alice@sender.example", "<team@dest.example> NOTIFY=SUCCESS");
            Path log = dir.resolve("maillog");
            RecordingSink.Message notice = sink.expect("the expanded notice");
            assertTrue(notice.data().contains("Action: expanded\r\n"), notice.data());
            // two more attempts, each deferring both members: no second notice
            MailLogFile.await(log, "(?s)(" + qid + ": to=<ann@dest\\.example>, orig_to=<team@dest\\.example>, "
                    + "relay=.*?status=deferred.*?){3}", WAIT);
            String text = MailLogFile.read(log);
            assertEquals(1, count(text, qid + ": sender delivery status notification"), text);
            assertEquals(0, sink.pending(), "no second notice");

            // held, so the listing and the file are read at rest (an active message is held when its attempt ends)
            QueueControl queue = QueueControl.open(dir.resolve("queue"));
            queue.hold(List.of(qid), null);
            QueueControl.Entry e = awaitHeld(queue, qid);
            assertEquals(List.of("ann@dest.example", "bob@dest.example"),
                    e.recipients().stream().map(QueueControl.Recipient::address).sorted().toList());
            for (QueueControl.Recipient r : e.recipients()) {
                assertEquals("team@dest.example", r.original(), r.toString());
                assertNotNull(r.reason(), r.toString());
            }
            String file = Files.readString(dir.resolve("queue/hold").resolve(qid), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertTrue(file.contains("\norig team@dest.example\n"), file);
            assertFalse(file.contains("\nexpanded "), "the notice went out: the file no longer owes it\n" + file);
            queue.release(List.of(qid));

            sink.rcptReplies.clear(); // the members are delivered at last; nothing more goes to the sender
            RecordingSink.Message m = sink.expect("the message");
            assertEquals(2, m.rcptTo().size(), m.rcptTo().toString());
            MailLogFile.await(log, qid + ": removed", WAIT);
            assertEquals(1, count(MailLogFile.read(log), qid + ": sender delivery status notification"));
        }
    }

    @Test
    void withEnableOriginalRecipientNoNothingIsKeptButTheAliasIsStillReported() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink, "enable_original_recipient = no\n")) {
            String qid = send(server, "alice@sender.example", "<team@dest.example> NOTIFY=SUCCESS");
            List<RecordingSink.Message> got = take(sink, 2, "the message and its expanded notice");
            withSubject(got, "Successful Mail Delivery Report");
            String text = MailLogFile.await(dir.resolve("maillog"), qid + ": removed", WAIT);
            assertTrue(text.contains(qid + ": to=<ann@dest.example>, relay="), text);
            assertFalse(text.contains("orig_to="), text);
        }
    }
}

package dev.postern.server;

import dev.postern.queue.QueueControl;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * postern queue requeue as Postfix's postsuper -r, end to end: a deferred message goes back
 * through pickup and cleanup, so virtual_alias_maps applies to it again (postsuper(1): "useful
 * when rewriting rules or virtual mappings have changed"; here the service it came in by had
 * receive_override_options = no_address_mappings, so the table has not touched it yet); it gets a new
 * queue ID (pickup logs the old one as orig_id=), a Received header from pickup, keeps its
 * NOTIFY and its arrival time, and the recipient already delivered is not sent to again.
 */
class RequeueTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    /** A desktop MTA relaying to {@code sink}, retrying deferred mail only after an hour; {@code smtpdOptions} on its one smtpd line. */
    private void writeConfig(RecordingSink sink, String moreMain, String smtpdOptions) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                + "compatibility_level = 3.6\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_relay_restrictions = permit_mynetworks, reject\n"
                + moreMain
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1h\n"
                + "maximal_backoff_time = 1h\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd" + smtpdOptions + "\n");
    }

    @Test
    void aRequeuedMessageIsRewrittenAgainWithTodaysTables() throws Exception {
        try (RecordingSink sink = RecordingSink.start()) {
            sink.offerDsn = true;
            sink.rcptReplies.put("old@dest.example", "450 4.2.1 <old@dest.example>: mailbox moved, try later");
            Files.writeString(dir.resolve("virtual"), "old@dest.example  new@dest.example\n");
            writeConfig(sink, "virtual_alias_maps = texthash:" + dir.resolve("virtual") + "\n",
                    " -o receive_override_options=no_address_mappings");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String qid;
                try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
                    assertTrue(c.reply().startsWith("220"));
                    c.command("EHLO client.example");
                    assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@client.example>"));
                    assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<old@dest.example> NOTIFY=FAILURE"));
                    assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<done@dest.example>"));
                    assertTrue(c.command("DATA").startsWith("354"));
                    String reply = c.command("Subject: moved\r\nMessage-Id: <moved@client.example>\r\n\r\nhello\r\n.");
                    assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
                    qid = reply.substring(reply.lastIndexOf(' ') + 1);
                }
                Path log = dir.resolve("maillog");
                assertEquals(List.of("<done@dest.example> ORCPT=rfc822;done@dest.example"),
                        sink.expect("the recipient that takes it").rcptTo());
                MailLogFile.await(log, qid + ": to=<old@dest\\.example>, relay=.*status=deferred", WAIT);

                // requeued: pickup's cleanup maps it (pickup has address mappings)
                QueueControl.Outcome o = QueueControl.open(dir.resolve("queue")).requeue(List.of("ALL"), null);
                assertEquals(List.of(qid), o.done());
                String text = MailLogFile.await(log, "postern/pickup\\[\\d+\\]: \\w+: uid=\\d+ from=<alice@client\\.example>"
                        + " orig_id=" + qid, WAIT);
                Matcher m = Pattern.compile("postern/pickup\\[\\d+\\]: (\\w+): uid=(\\d+) from=<alice@client\\.example> orig_id="
                        + qid).matcher(text);
                assertTrue(m.find(), text);
                String newId = m.group(1);
                assertFalse(newId.equals(qid));

                RecordingSink.Message again = sink.take(20);
                if (again == null) {
                    throw new AssertionError("the requeued message never reached the sink; log:\n" + MailLogFile.read(log));
                }
                assertEquals(List.of("<new@dest.example> ORCPT=rfc822;old@dest.example NOTIFY=FAILURE"), again.rcptTo());
                assertTrue(again.data().startsWith("Received: by desk.example (Postern, from userid " + m.group(2) + ")\r\n\tid "
                        + newId + "; "), again.data());
                assertTrue(again.data().contains("\r\nMessage-Id: <moved@client.example>\r\n"), again.data());
                // dated now, not by the deferred file's mtime (its next attempt, an hour ahead): postsuper resets it
                String recv = again.data().substring(0, again.data().indexOf("\r\n", again.data().indexOf("\tid ")));
                java.time.ZonedDateTime when = java.time.ZonedDateTime.parse(recv.substring(recv.indexOf("; ") + 2),
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                assertTrue(Math.abs(Duration.between(java.time.Instant.now(), when.toInstant()).toSeconds()) < 120, recv);
                MailLogFile.await(log, newId + ": to=<new@dest\\.example>, orig_to=<old@dest\\.example>, relay=.*status=sent", WAIT);
                MailLogFile.await(log, newId + ": removed", WAIT);
                assertEquals(0, sink.pending(), "done@dest.example got it once");
                assertTrue(QueueControl.open(dir.resolve("queue")).list().isEmpty());
            }
        }
    }

    /**
     * pickup.c's MAIL_IS_REQUEUED: a queue file in maildrop/ that others may read (or that the
     * queue directory's owner does not own) is not the mail system's: its envelope is not trusted
     * (its arrival time, NOTIFY, originals, header context could be forged by a local user when
     * maildrop/ is open to them); it is moved aside with a warning, never submitted.
     */
    @Test
    void aQueueFileInMaildropThatOthersCouldHaveWrittenIsMovedAside() throws Exception {
        try (RecordingSink sink = RecordingSink.start()) {
            sink.defaultRcptReply = "450 4.2.1 try later";
            writeConfig(sink, "", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String qid;
                try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
                    assertTrue(c.reply().startsWith("220"));
                    c.command("EHLO client.example");
                    assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@client.example>"));
                    assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<bob@dest.example>"));
                    assertTrue(c.command("DATA").startsWith("354"));
                    String reply = c.command("Subject: forged\r\n\r\nhello\r\n.");
                    qid = reply.substring(reply.lastIndexOf(' ') + 1);
                }
                Path log = dir.resolve("maillog");
                MailLogFile.await(log, qid + ": to=<bob@dest\\.example>, relay=.*status=deferred", WAIT);
                Path copy = dir.resolve("queue/maildrop/" + qid);
                // Made readable by others before it appears in maildrop/ (one rename): pickup may
                // take it the moment it is there, and a copy made in place then chmod'ed could be
                // gone before the chmod (a flaky NoSuchFileException in CI, 2026-12-04).
                Path staged = dir.resolve("staged-" + qid);
                Files.copy(dir.resolve("queue/deferred/" + qid), staged);
                Files.setPosixFilePermissions(staged, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                Files.move(staged, copy, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                MailLogFile.await(log, "postern/pickup\\[\\d+\\]: warning: maildrop/" + qid + ": uid=\\d+: a queue file not"
                        + " owned by the mail system, or readable by others; moved to ", WAIT);
                assertFalse(MailLogFile.read(log).contains("orig_id=" + qid), MailLogFile.read(log));
                assertFalse(Files.exists(copy));
            }
        }
    }
}

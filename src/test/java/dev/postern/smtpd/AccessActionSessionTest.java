package dev.postern.smtpd;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * access(5) HOLD, DISCARD, REDIRECT, BCC, FILTER, PREPEND and HANGUP over real loopback sessions into a
 * real spool: the replies, where the message ends up (hold/, nowhere, its recipients, its first
 * header lines) and the mail log lines, in Postfix's smtpd_check.c log_whatsup() format.
 */
class AccessActionSessionTest {
    private static final String FROM = "s@sender.example";
    private static final String TAIL = "; from=<" + FROM + ">";

    @TempDir
    Path dir;
    ExecutorService io;

    @BeforeEach
    void io() {
        io = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void stop() {
        io.shutdownNow();
    }

    private SmtpdHarness harness() throws Exception {
        return harness("");
    }

    private SmtpdHarness harness(String extraMain) throws Exception {
        Path table = dir.resolve("access");
        Files.writeString(table, "held@local.test HOLD\n"
                + "quarantine@local.test HOLD quarantined\n"
                + "trap@local.test DISCARD\n"
                + "moved@local.test REDIRECT catcher@local.test\n"
                + "copied@local.test BCC archive@local.test\n"
                + "tagged@local.test PREPEND X-Policy: tagged\n"
                + "tagged2@local.test PREPEND X-Second: also\n"
                + "hang@local.test HANGUP bye\n"
                + "scanned@local.test FILTER scan:[127.0.0.1]:10024\n"
                + "rescanned@local.test FILTER other:\n");
        return new SmtpdHarness(dir, "smtpd_peername_lookup = no\n"
                + "mydestination = local.test\n"
                + "smtpd_recipient_restrictions = check_recipient_access texthash:" + table + ", reject_unauth_destination\n"
                + extraMain, io);
    }

    private static SmtpTestClient session(SmtpdHarness h) throws Exception {
        SmtpTestClient c = new SmtpTestClient(h.address());
        assertTrue(c.reply().startsWith("220 "));
        assertTrue(c.command("EHLO client.example").startsWith("250"));
        assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
        return c;
    }

    /** DATA and the content; returns the queue ID of the 250. */
    private static String data(SmtpTestClient c) throws Exception {
        assertEquals("354 End data with <CR><LF>.<CR><LF>", c.command("DATA"));
        String r = c.command("Subject: test\r\n\r\nbody\r\n.");
        assertTrue(r.startsWith("250 2.0.0 Ok: queued as "), r);
        return r.substring(r.lastIndexOf(' ') + 1);
    }

    private static List<String> files(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String content(QueuedMessage m) throws Exception {
        try (InputStream in = m.content().open()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String rest(String helo) {
        return " proto=ESMTP helo=<" + helo + ">";
    }

    @Test
    void holdPutsTheWholeMessageIntoTheHoldQueue() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<quarantine@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<held@local.test>")); // held already: not logged again
            String id = data(c);
            Path queue = dir.resolve("queue");
            assertEquals(List.of(id), files(queue.resolve("hold")));
            assertEquals(List.of(), files(queue.resolve("incoming")).stream().filter(f -> !f.startsWith(".")).toList());
            QueuedMessage m = h.spool().read(queue.resolve("hold").resolve(id));
            assertEquals(List.of(MailAddress.parse("plain@local.test"), MailAddress.parse("quarantine@local.test"),
                    MailAddress.parse("held@local.test")), m.envelope().recipients());
            assertTrue(content(m).contains("\r\n\r\nbody\r\n"));
            h.awaitLog(id + ": message-id=");
            // The transaction was open (client= logged) when the HOLD fired: the line has its queue ID.
            String log = h.log();
            assertTrue(log.contains(id + ": hold: RCPT from unknown[127.0.0.1]: <quarantine@local.test>: Recipient address "
                    + "quarantined" + TAIL + " to=<quarantine@local.test>" + rest("client.example") + "\n"), log);
            assertEquals(1, log.lines().filter(l -> l.contains(": hold: ")).count(), log);
            // the next transaction is not held
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            String next = data(c);
            assertEquals(List.of(id), files(queue.resolve("hold")));
            assertTrue(Files.exists(queue.resolve("incoming").resolve(next)));
        }
    }

    @Test
    void holdAtTheFirstRecipientIsLoggedWithoutQueueId() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<held@local.test>"));
            String id = data(c);
            assertTrue(Files.exists(dir.resolve("queue/hold").resolve(id)));
            h.awaitLog(id + ": message-id=");
            assertTrue(h.log().contains("NOQUEUE: hold: RCPT from unknown[127.0.0.1]: <held@local.test>: Recipient address "
                    + "triggers HOLD action" + TAIL + " to=<held@local.test>" + rest("client.example") + "\n"), h.log());
        }
    }

    @Test
    void discardAcceptsEverythingAfterItAndKeepsNothing() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("554 5.7.1 <x@remote.test>: Relay access denied", c.command("RCPT TO:<x@remote.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<trap@local.test>"));
            // nothing is checked any more in this transaction: the message goes nowhere
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<x@remote.test>"));
            String id = data(c);
            h.awaitLog(id + ": removed (discarded)");
            Path queue = dir.resolve("queue");
            for (String q : List.of("incoming", "active", "deferred", "hold", "corrupt")) {
                assertEquals(List.of(), files(queue.resolve(q)), q);
            }
            String log = h.log();
            assertTrue(log.contains("NOQUEUE: discard: RCPT from unknown[127.0.0.1]: <trap@local.test>: Recipient address "
                    + "triggers DISCARD action" + TAIL + " to=<trap@local.test>" + rest("client.example") + "\n"), log);
            List<String> mine = log.lines().filter(l -> l.contains(id + ": ")).map(l -> l.substring(l.indexOf(id))).toList();
            assertEquals(List.of(id + ": client=unknown[127.0.0.1]", id + ": message-id=<", id + ": removed (discarded)"),
                    mine.stream().map(l -> l.startsWith(id + ": message-id=<") ? id + ": message-id=<" : l).toList());
            // The next transaction is checked again.
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("554 5.7.1 <x@remote.test>: Relay access denied", c.command("RCPT TO:<x@remote.test>"));
        }
    }

    @Test
    void rsetForgetsTheActions() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<trap@local.test>"));
            assertEquals("250 2.0.0 Ok", c.command("RSET"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            String id = data(c);
            assertTrue(Files.exists(dir.resolve("queue/incoming").resolve(id)));
        }
    }

    @Test
    void redirectReplacesEveryRecipientAndKeepsTheFirstAsOriginal() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<zed@local.test> NOTIFY=SUCCESS"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<moved@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<copied@local.test>")); // its BCC is redirected too
            String id = data(c);
            QueuedMessage m = h.spool().read(dir.resolve("queue/incoming").resolve(id));
            MailAddress catcher = MailAddress.parse("catcher@local.test");
            assertEquals(List.of(catcher), m.envelope().recipients());
            // qmgr's order: same domain, then the address: archive@ (the BCC, NOTIFY=NEVER) sorts first
            assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER), "rfc822", "archive@local.test"),
                    m.envelope().dsnOf(catcher));
            h.awaitLog(id + ": message-id=");
            assertTrue(h.log().contains(id + ": redirect: RCPT from unknown[127.0.0.1]: <moved@local.test>: Recipient "
                    + "address triggers REDIRECT catcher@local.test" + TAIL + " to=<moved@local.test>" + rest("client.example")
                    + "\n"), h.log());
            assertTrue(content(m).startsWith("Received: from client.example"), content(m));
        }
    }

    @Test
    void redirectKeepsTheClientsOrcpt() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<moved@local.test> ORCPT=rfc822;orig+40else.example"));
            String id = data(c);
            QueuedMessage m = h.spool().read(dir.resolve("queue/incoming").resolve(id));
            MailAddress catcher = MailAddress.parse("catcher@local.test");
            assertEquals(List.of(catcher), m.envelope().recipients());
            assertEquals(new RecipientDsn(Set.of(), "rfc822", "orig@else.example"), m.envelope().dsnOf(catcher));
        }
    }

    @Test
    void contentFilterIsStoredAndTheLastFilterActionOverridesIt() throws Exception {
        try (SmtpdHarness h = harness("content_filter = base:[127.0.0.1]:10030\n"); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            String plain = data(c);
            assertEquals("base:[127.0.0.1]:10030",
                    h.spool().read(dir.resolve("queue/incoming").resolve(plain)).envelope().filter());

            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<scanned@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<rescanned@local.test>"));
            String id = data(c);
            assertEquals("other:", h.spool().read(dir.resolve("queue/incoming").resolve(id)).envelope().filter(),
                    "only the last FILTER is executed");
            h.awaitLog(id + ": message-id=");
            // Logged each time it fires (not once per transaction, as HOLD).
            assertTrue(h.log().contains("NOQUEUE: filter: RCPT from unknown[127.0.0.1]: <scanned@local.test>: Recipient "
                    + "address triggers FILTER scan:[127.0.0.1]:10024" + TAIL + " to=<scanned@local.test>"
                    + rest("client.example") + "\n"), h.log());
            assertTrue(h.log().contains(id + ": filter: RCPT from unknown[127.0.0.1]: <rescanned@local.test>: Recipient "
                    + "address triggers FILTER other:" + TAIL + " to=<rescanned@local.test>" + rest("client.example") + "\n"),
                    h.log());

            // RSET forgets the action: the next message has the service's content_filter again.
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<scanned@local.test>"));
            assertEquals("250 2.0.0 Ok", c.command("RSET"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            String after = data(c);
            assertEquals("base:[127.0.0.1]:10030",
                    h.spool().read(dir.resolve("queue/incoming").resolve(after)).envelope().filter());
        }
    }

    /** access(5): REDIRECT "overrides the FILTER action" (Postfix's qmgr resolves the redirect and never filters it). */
    @Test
    void redirectOverridesFilterAndContentFilter() throws Exception {
        try (SmtpdHarness h = harness("content_filter = base:[127.0.0.1]:10030\n"); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<scanned@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<moved@local.test>"));
            String id = data(c);
            QueuedMessage m = h.spool().read(dir.resolve("queue/incoming").resolve(id));
            assertEquals(List.of(MailAddress.parse("catcher@local.test")), m.envelope().recipients());
            assertNull(m.envelope().filter());
        }
    }

    @Test
    void withoutContentFilterOrActionNoFilterIsStored() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            String id = data(c);
            assertNull(h.spool().read(dir.resolve("queue/incoming").resolve(id)).envelope().filter());
        }
    }

    @Test
    void bccIsNotAddedTwice() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<copied@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<archive@local.test>")); // already one: not twice
            String id = data(c);
            QueuedMessage m = h.spool().read(dir.resolve("queue/incoming").resolve(id));
            assertEquals(List.of(MailAddress.parse("copied@local.test"), MailAddress.parse("archive@local.test")),
                    m.envelope().recipients());
            assertEquals(RecipientDsn.NONE, m.envelope().dsnOf(MailAddress.parse("archive@local.test")));
            assertTrue(h.log().contains("NOQUEUE: bcc: RCPT from unknown[127.0.0.1]: <copied@local.test>: Recipient "
                    + "address triggers BCC archive@local.test" + TAIL + " to=<copied@local.test>" + rest("client.example")),
                    h.log());
        }
    }

    @Test
    void bccIsQueuedWithNotifyNever() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<copied@local.test>"));
            String id = data(c);
            QueuedMessage m = h.spool().read(dir.resolve("queue/incoming").resolve(id));
            MailAddress archive = MailAddress.parse("archive@local.test");
            assertEquals(List.of(MailAddress.parse("copied@local.test"), archive), m.envelope().recipients());
            assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER), null, null), m.envelope().dsnOf(archive));
        }
    }

    @Test
    void prependedHeadersComeBeforeTheReceivedHeaderInOrder() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<tagged@local.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<tagged2@local.test>"));
            String id = data(c);
            String text = content(h.spool().read(dir.resolve("queue/incoming").resolve(id)));
            assertTrue(text.startsWith("X-Policy: tagged\r\nX-Second: also\r\nReceived: from client.example"), text);
            assertFalse(h.log().contains("prepend"), "PREPEND is not logged: " + h.log());
        }
    }

    @Test
    void hangupClosesWithoutAReply() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<plain@local.test>"));
            assertNull(c.command("RCPT TO:<hang@local.test>"), "no reply: the connection ends");
            h.awaitLog("disconnect from");
            String log = h.log();
            assertTrue(log.contains(": hangup: RCPT from unknown[127.0.0.1]: bye" + TAIL + " to=<hang@local.test>"
                    + rest("client.example") + "\n"), log);
            assertTrue(log.contains("disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1/2 commands=3/4"), log);
            assertFalse(log.contains("lost connection"), log);
            assertEquals(List.of(), files(dir.resolve("queue/incoming")).stream().filter(f -> !f.startsWith(".")).toList());
        }
    }

    @Test
    void actionsAtData() throws Exception {
        Path table = dir.resolve("data-access");
        Files.writeString(table, FROM + " HOLD data stage\n");
        try (SmtpdHarness h = new SmtpdHarness(dir, "smtpd_peername_lookup = no\n"
                + "smtpd_data_restrictions = check_sender_access texthash:" + table + "\n", io);
             SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<one@local.test>"));
            String id = data(c);
            assertTrue(Files.exists(dir.resolve("queue/hold").resolve(id)));
            assertTrue(h.log().contains(id + ": hold: DATA from unknown[127.0.0.1]: <" + FROM + ">: Sender address data stage"
                    + TAIL + " to=<one@local.test>" + rest("client.example") + "\n"), h.log());
        }
    }

    @Test
    void aDataRejectNamesTheOnlyRecipient() throws Exception {
        try (SmtpdHarness h = new SmtpdHarness(dir, "smtpd_peername_lookup = no\nsmtpd_data_restrictions = reject\n", io);
             SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<one@local.test>"));
            String r = c.command("DATA");
            assertEquals("554 5.7.1 <DATA>: Data command rejected: Access denied", r);
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<two@local.test>"));
            assertEquals(r, c.command("DATA"));
            h.awaitLog("to=<one@local.test>");
            List<String> rejects = h.log().lines().filter(l -> l.contains(": reject: DATA from")).toList();
            assertEquals(2, rejects.size(), h.log());
            assertTrue(rejects.get(0).endsWith(": reject: DATA from unknown[127.0.0.1]: " + r + TAIL
                    + " to=<one@local.test>" + rest("client.example")), rejects.get(0));
            assertTrue(rejects.get(1).endsWith(": reject: DATA from unknown[127.0.0.1]: " + r + TAIL
                    + rest("client.example")), "smtpd_check_data() names none of several: " + rejects.get(1));
        }
    }

    /** The spool's own view agrees: held mail is listed in hold/ and is a whole queue file. */
    @Test
    void heldFileIsAWholeQueueFile() throws Exception {
        try (SmtpdHarness h = harness(); SmtpTestClient c = session(h)) {
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<held@local.test>"));
            String id = data(c);
            List<Path> held = h.spool().list(Spool.Queue.HOLD);
            assertEquals(1, held.size());
            assertEquals(id, h.spool().read(held.get(0)).envelope().id().toString());
        }
    }
}

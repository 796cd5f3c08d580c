package dev.postern.server;

import dev.postern.config.ConfigException;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtp_generic_maps end to end, the recipe of Postfix's ADDRESS_REWRITING_README for a desktop
 * without a real Internet domain: the real server on loopback relays to a recording next hop,
 * which must see the mapped envelope (MAIL FROM, RCPT TO) while the queue's addresses stay in the
 * log; one lookup per address (no nesting), extensions carried over only with
 * propagate_unmatched_extensions = generic, a table that cannot answer deferring the mail until
 * it can, a transport line's own -o table, and check refusing a broken table.
 */
class SmtpGenericMapsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String SMTP = "postern/smtp\\[\\d+\\]: ";

    @TempDir
    Path dir;

    private Path generic() throws Exception {
        Path g = dir.resolve("generic");
        Files.writeString(g, String.join("\n",
                "alice@desktop.localdomain  alice@example.com",
                "# looked up once: this entry is never reached from alice@desktop.localdomain",
                "alice@example.com          wrong@example.com",
                "@desk.localdomain          @example.com",
                "user@ext.example           other@ext2.example",
                "multi@desktop.localdomain  first@example.com, second@example.com",
                ""));
        return g;
    }

    /** main.cf with {@code extra} lines, master.cf with one smtpd and {@code master} transport lines. */
    private void configure(RecordingSink sink, String extra, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = desktop.localdomain\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "recipient_delimiter = +\n"
                + "minimal_backoff_time = 1s\n"
                + "maximal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n"
                + extra
                // cleanup would drop Bcc: (message_drop_headers): kept, to see the SMTP client rewrite it
                + "\nmessage_drop_headers = content-length\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n" + master);
    }

    /** Queues one message; its queue ID. */
    private static String send(InetSocketAddress service, String from, List<String> rcpts, String content) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            for (String r : rcpts) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + r + ">"), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command(content + ".");
            c.command("QUIT");
            assertTrue(r.startsWith("250 2.0.0 Ok: queued as "), r);
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    private String awaitLog(String regex) throws Exception {
        return MailLogFile.await(dir.resolve("maillog"), regex, WAIT);
    }

    private static void assertLogged(String log, String regex) {
        assertTrue(Pattern.compile(regex).matcher(log).find(), "/" + regex + "/ in:\n" + log);
    }

    @Test
    void theNextHopSeesTheMappedEnvelopeAndTheLogTheQueuedOne() throws Exception {
        Path g = generic();
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = texthash:" + g + "\n"
                    + "propagate_unmatched_extensions = canonical, virtual, generic\n", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String id = send(server.addresses().get(0), "alice@desktop.localdomain",
                        List.of("bob@far.example", "user+foo@ext.example", "Carol@Desk.Localdomain"),
                        "Subject: hello\r\n\r\nbody\r\n");
                RecordingSink.Message m = sink.expect("relayed");
                assertEquals("<alice@example.com>", m.mailFrom(), "one lookup: alice@example.com is not looked up again");
                assertEquals(List.of("<bob@far.example>", "<other+foo@ext2.example>", "<Carol@example.com>"), m.rcptTo(),
                        "unmatched unchanged; the extension carried over; @domain keeps the local part as written");

                String log = awaitLog(id + ": removed");
                assertLogged(log, "qmgr\\[\\d+\\]: " + id + ": from=<alice@desktop\\.localdomain>, size=");
                assertLogged(log, SMTP + id + ": to=<user\\+foo@ext\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+, .*status=sent");
                assertLogged(log, SMTP + id + ": to=<Carol@Desk\\.Localdomain>, .*status=sent");
                assertFalse(log.contains("example.com>"), "the log keeps the queued addresses: " + log);
            }
        }
    }

    /**
     * The message's own address headers as Postfix's smtp_header_rewrite(): a header with an
     * address the table knows is rebuilt (an entry mapping an address to itself counts, so its
     * spacing is normalized), every other header goes out byte for byte, also address headers of
     * an attached message (part of the body when smtp_generic_maps is the only table).
     */
    @Test
    void theMessagesOwnAddressHeadersAreRewrittenAsPostfixsAre() throws Exception {
        Path g = generic();
        Files.writeString(g, Files.readString(g) + "carol@far.example carol@far.example\n");
        String untouched = "Cc:  bob@far.example ,zed@nowhere.example\r\n"
                + "Subject: hi alice@desktop.localdomain\r\n"
                + "X-Sender: alice@desktop.localdomain\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: message/rfc822\r\n";
        String attached = "From: alice@desktop.localdomain\r\nTo: Carol@Desk.Localdomain\r\n\r\ninner\r\n";
        String content = "From: Alice <alice@desktop.localdomain>\r\n"
                + "To: bob@far.example, \"Dave D\" <dave@desk.localdomain>,\r\n\tuser+foo@ext.example\r\n"
                + "Reply-To: alice@desktop.localdomain (Alice),\r\n\tzed@nowhere.example\r\n"
                + "Bcc: carol@far.example ,  bob@far.example\r\n"
                + untouched + "\r\n" + attached;
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = texthash:" + g + "\n"
                    + "propagate_unmatched_extensions = canonical, virtual, generic\n", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                send(server.addresses().get(0), "alice@desktop.localdomain", List.of("bob@far.example"), content);
                String data = sink.expect("relayed").data();
                String headers = "From: Alice <alice@example.com>\r\n"
                        + "To: bob@far.example, \"Dave D\" <dave@example.com>,\r\n\tother+foo@ext2.example\r\n"
                        + "Reply-To: alice@example.com (Alice), zed@nowhere.example\r\n"
                        + "Bcc: carol@far.example, bob@far.example\r\n"
                        + untouched;
                // Postern's cleanup adds the Message-Id and Date headers after the client's, as Postfix's.
                assertTrue(data.contains("(UTC)\r\n" + headers + "Message-Id: <"), "expected\n" + headers + "\nin:\n" + data);
                assertTrue(data.endsWith("\r\n\r\n" + attached), data);
                assertTrue(data.startsWith("Received: from client.example (unknown [127.0.0.1])\r\n\tby desktop.localdomain"),
                        data);
            }
        }
    }

    /** Postfix's default propagate_unmatched_extensions is "canonical, virtual": no generic. */
    @Test
    void anUnmatchedExtensionIsDroppedByDefaultAndAListResultGivesItsFirstAddress() throws Exception {
        Path g = generic();
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = texthash:" + g + "\n", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String id = send(server.addresses().get(0), "multi@desktop.localdomain", List.of("user+foo@ext.example"),
                        "Subject: s\r\n\r\nb\r\n");
                RecordingSink.Message m = sink.expect("relayed");
                assertEquals("<first@example.com>", m.mailFrom());
                assertEquals(List.of("<other@ext2.example>"), m.rcptTo());
                String log = awaitLog(id + ": removed");
                assertLogged(log, SMTP + "warning: multi-valued smtp_generic_maps result for multi@desktop\\.localdomain\n");
            }
        }
    }

    @Test
    void theNullSenderIsNeverLookedUp() throws Exception {
        Path g = dir.resolve("generic");
        Files.writeString(g, "<> someone@example.com\n");
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = texthash:" + g + "\n", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                send(server.addresses().get(0), "", List.of("bob@far.example"), "Subject: s\r\n\r\nb\r\n");
                RecordingSink.Message m = sink.expect("relayed");
                assertEquals("<>", m.mailFrom());
                assertEquals(List.of("<bob@far.example>"), m.rcptTo());
            }
        }
    }

    /**
     * Postfix's smtp ends with "fatal: smtp_generic_maps map lookup problem for ..." and the mail
     * waits; Postern logs the same text as a warning and defers. Once the table can answer, the
     * next attempt delivers, mapped.
     */
    @Test
    void aTableThatCannotAnswerDefersTheMailUntilItCan() throws Exception {
        Path g = dir.resolve("generic-later");
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = hash:" + g + "\n", "");
            Plan plan = Server.plan(dir);
            assertTrue(plan.warnings().stream().anyMatch(w -> w.startsWith("smtp_generic_maps: ")), plan.warnings().toString());
            try (Server server = Server.start(plan, null)) {
                String id = send(server.addresses().get(0), "alice@desktop.localdomain", List.of("bob@far.example"),
                        "Subject: s\r\n\r\nb\r\n");
                String log = awaitLog(id + ": to=<bob@far\\.example>, .*status=deferred");
                assertLogged(log, SMTP + "warning: " + id + ": smtp_generic_maps map lookup problem for alice@desktop\\.localdomain\n");
                assertLogged(log, SMTP + id + ": to=<bob@far\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:\\d+, .*"
                        + "dsn=4\\.3\\.0, status=deferred \\(unknown mail transport error\\)\n");
                assertNull(sink.take(0), "nothing was delivered");

                Files.writeString(g, "alice@desktop.localdomain alice@example.com\n");
                RecordingSink.Message m = sink.expect("delivered once the table answers");
                assertEquals("<alice@example.com>", m.mailFrom());
                awaitLog(id + ": removed");
            }
        }
    }

    /**
     * A header address the tables cannot answer for, after the envelope went out (its addresses
     * found in the first table, so the second is never asked for them): the message is never
     * ended, the mail deferred as above.
     */
    @Test
    void aHeaderLookupThatFailsLeavesTheMessageUnfinishedAndDefers() throws Exception {
        Path known = dir.resolve("known");
        Files.writeString(known, "bob@far.example bob@far.example\n");
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = texthash:" + known + ", hash:" + dir.resolve("not-made-yet") + "\n", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String id = send(server.addresses().get(0), "", List.of("bob@far.example"),
                        "From: someone@else.example\r\nSubject: s\r\n\r\nb\r\n");
                String log = awaitLog(id + ": to=<bob@far\\.example>, .*status=deferred");
                assertLogged(log, SMTP + "warning: " + id + ": smtp_generic_maps map lookup problem for someone@else\\.example\n");
                assertLogged(log, SMTP + id + ": to=<bob@far\\.example>, .*dsn=4\\.3\\.0, status=deferred \\(unknown mail transport error\\)");
                assertNull(sink.take(0), "the message was never ended: " + log);
            }
        }
    }

    /** An isp transport line with its own -o smtp_generic_maps; the smtp transport has none. */
    @Test
    void aTransportLineHasItsOwnTable() throws Exception {
        Path g = generic();
        try (RecordingSink sink = RecordingSink.start(); RecordingSink ispHop = RecordingSink.start()) {
            configure(sink, "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + ispHop.port() + " }\n",
                    "isp unix - - n - - smtp\n    -o smtp_generic_maps=texthash:" + g + "\n");
            Plan plan = Server.plan(dir);
            assertTrue(plan.warnings().stream().noneMatch(w -> w.contains("smtp_generic_maps")), plan.warnings().toString());
            try (Server server = Server.start(plan, null)) {
                send(server.addresses().get(0), "alice@desktop.localdomain", List.of("bob@isp.example"), "Subject: s\r\n\r\nb\r\n");
                assertEquals("<alice@example.com>", ispHop.expect("through isp").mailFrom());
                send(server.addresses().get(0), "alice@desktop.localdomain", List.of("bob@far.example"), "Subject: s\r\n\r\nb\r\n");
                assertEquals("<alice@desktop.localdomain>", sink.expect("through smtp").mailFrom());
            }
        }
    }

    @Test
    void checkAndStartRefuseATableThatCannotBeOpened() throws Exception {
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_generic_maps = regexp:" + dir.resolve("missing") + "\n", "");
            ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("main.cf:13: SMTP client: smtp_generic_maps: ")
                    && e.getMessage().contains("missing"), e.getMessage());
            configure(sink, "propagate_unmatched_extensions = generic, frobnicate\n", "");
            e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("frobnicate") && !e.getMessage().contains("\"generic\""), e.getMessage());
        }
    }
}

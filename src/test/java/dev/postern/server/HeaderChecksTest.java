package dev.postern.server;

import dev.postern.queue.QueueControl;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * header_checks and body_checks end to end: the real server on loopback, the replies a client
 * gets, cleanup's log lines, the queue (hold/, nothing left after a REJECT or DISCARD), what the
 * next hop receives after REPLACE and IGNORE, a body_checks FILTER and BCC found after the
 * queue file was started, receive_override_options on one service, local submissions, and
 * Postern's own bounces left alone.
 */
class HeaderChecksTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FROM = "alice@client.example";

    @TempDir
    Path dir;

    private Server start(RecordingSink sink, RecordingSink filter) throws Exception {
        Files.writeString(dir.resolve("header_checks"), String.join("\n",
                "/^Subject:.*reject me/ REJECT",
                "/^Subject:.*defer me/ REJECT 4.7.1 try again later",
                "/^Subject:.*hold me/ HOLD held for review",
                "/^Subject:.*discard me/ DISCARD",
                "/^Subject:.*secret/ REPLACE Subject: [redacted]",
                "/^X-Internal:/ IGNORE",
                "/^Received: from client\\.example/ WARN our own Received header",
                "") );
        Files.writeString(dir.resolve("body_checks"), String.join("\n",
                "/^SCAN THIS$/ FILTER filter:[127.0.0.1]:" + filter.port(),
                "/^ARCHIVE THIS$/ BCC archive@dest.example",
                "/^DISCARD THIS$/ DISCARD",
                ""));
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "relay_domains = dest.example\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "header_checks = regexp:" + dir.resolve("header_checks") + "\n"
                + "body_checks = regexp:" + dir.resolve("body_checks") + "\n"
                + "body_checks_size_limit = 0\n" // the whole body: the test's lines are far into it
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "127.0.0.2:0 inet n - n - - smtpd -o receive_override_options=no_header_body_checks,no_address_mappings\n"
                + "filter unix - - n - - smtp\n");
        return Server.start(Server.plan(dir), null);
    }

    /** The reply to the end of DATA. */
    private static String send(InetSocketAddress service, String headers, String body, String... rcpts) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            for (String r : rcpts) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + r + ">"), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command(headers + "\r\n" + body + ".");
            c.command("QUIT");
            return r;
        }
    }

    private static String id(String reply) {
        assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
        return reply.substring(reply.lastIndexOf(' ') + 1);
    }

    private String awaitLog(String regex) throws Exception {
        return MailLogFile.await(dir.resolve("maillog"), regex, WAIT);
    }

    private List<String> files(String queue) throws Exception {
        Path q = dir.resolve("queue").resolve(queue);
        if (!Files.isDirectory(q)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(q)) {
            return s.map(f -> f.getFileName().toString()).filter(f -> !f.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void headerActionsAnswerTheClientAndLogAsCleanupDoes() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             Server server = start(sink, filter)) {
            InetSocketAddress smtpd = server.addresses().get(0);
            assertEquals("550 5.7.1 message content rejected",
                    send(smtpd, "Subject: please reject me\r\n", "text\r\n", "bob@dest.example", "carol@dest.example"));
            String log = awaitLog(": reject: header Subject: please reject me from ");
            assertTrue(Pattern.compile("[0-9A-Z]+: reject: header Subject: please reject me from unknown\\[127\\.0\\.0\\.1\\];"
                    + " from=<alice@client\\.example> to=<carol@dest\\.example> proto=ESMTP helo=<client\\.example>:"
                    + " 5\\.7\\.1 message content rejected").matcher(log).find(), log);
            // the DATA refused at the dot is no successful DATA (Postfix's data_cmd() fails)
            awaitLog("disconnect from unknown\\[127\\.0\\.0\\.1\\] ehlo=1 mail=1 rcpt=2 data=0/1 quit=1 commands=5/6");
            assertEquals("451 4.7.1 try again later", send(smtpd, "Subject: defer me\r\n", "text\r\n", "bob@dest.example"));

            String held = id(send(smtpd, "Subject: hold me\r\n", "text\r\n", "bob@dest.example"));
            log = awaitLog(held + ": hold: header Subject: hold me from ");
            assertTrue(log.contains(held + ": hold: header Subject: hold me from unknown[127.0.0.1]; from=<" + FROM
                    + "> to=<bob@dest.example> proto=ESMTP helo=<client.example>: held for review"), log);
            assertEquals(List.of(held), files("hold"));

            String discarded = id(send(smtpd, "Subject: discard me\r\n", "text\r\n", "bob@dest.example"));
            awaitLog(discarded + ": removed \\(discarded\\)");

            String plain = id(send(smtpd, "Subject: a secret\r\nX-Internal: 10.1.2.3\r\nX-Kept: yes\r\n",
                    "body text\r\n", "bob@dest.example"));
            RecordingSink.Message m = sink.expect("the plain message is delivered");
            assertTrue(m.data().contains("\r\nSubject: [redacted]\r\nX-Kept: yes\r\n"), m.data());
            assertFalse(m.data().contains("X-Internal"), m.data());
            assertTrue(m.data().contains("Received: from client.example"), "WARN keeps the header: " + m.data());
            log = awaitLog(plain + ": removed");
            assertTrue(log.contains(plain + ": warning: header Received: from client.example (unknown [127.0.0.1])??by "
                    + "mx.postern.test (Postern) with ESMTP id " + plain), "the folded header, its newline and tab as ?: " + log);
            assertEquals(0, sink.pending(), "nothing else was delivered");
            assertEquals(List.of(), files("incoming"));
            assertEquals(List.of(), files("active"));
            assertEquals(List.of(), files("deferred"));
        }
    }

    /**
     * A body line far into the message, so the queue file (envelope first) was already written:
     * the FILTER and the BCC still land in the envelope, and the content arrives whole.
     */
    @Test
    void bodyActionsFoundLateStillChangeTheEnvelope() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             Server server = start(sink, filter)) {
            InetSocketAddress smtpd = server.addresses().get(0);
            String filler = ("0123456789".repeat(7) + "\r\n").repeat(2000); // 144 KB: past the writer's 64 KiB
            String id = id(send(smtpd, "Subject: big\r\n", filler + "ARCHIVE THIS\r\n" + filler + "SCAN THIS\r\nend\r\n",
                    "bob@dest.example"));
            RecordingSink.Message m = filter.take(20);
            assertNotNull(m, "the FILTER found at the end of the body routes the message: "
                    + MailLogFile.read(dir.resolve("maillog")));
            assertEquals(Set.of("<bob@dest.example>", "<archive@dest.example>"), Set.copyOf(m.rcptTo()));
            assertTrue(m.data().endsWith(filler + "SCAN THIS\r\nend\r\n"), "the content arrives whole");
            assertEquals(2 * filler.length() + "ARCHIVE THISSCAN THISend".length() + 6,
                    m.data().length() - m.data().indexOf("\r\n\r\n") - 4 - "Subject: big".length() + "Subject: big".length(),
                    "no byte lost or added by moving the content");
            String log = awaitLog(id + ": removed");
            assertTrue(log.contains(id + ": bcc: body ARCHIVE THIS from unknown[127.0.0.1]; from=<" + FROM
                    + "> to=<bob@dest.example> proto=ESMTP helo=<client.example>: archive@dest.example"), log);
            assertTrue(log.contains(id + ": filter: body SCAN THIS from unknown[127.0.0.1]; from=<" + FROM
                    + "> to=<bob@dest.example> proto=ESMTP helo=<client.example>: filter:[127.0.0.1]:" + filter.port()), log);
            assertEquals(0, sink.pending());

            String dropped = id(send(smtpd, "Subject: big too\r\n", filler + "DISCARD THIS\r\n", "bob@dest.example"));
            awaitLog(dropped + ": removed \\(discarded\\)");
            assertEquals(List.of(), files("incoming"));
            assertEquals(0, sink.pending() + filter.pending());
        }
    }

    @Test
    void receiveOverrideOptionsTurnTheChecksOffForOneService() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             Server server = start(sink, filter)) {
            InetSocketAddress reinjection = server.addresses().stream()
                    .filter(a -> a.getAddress().getHostAddress().equals("127.0.0.2")).findFirst().orElseThrow();
            String id = id(send(reinjection, "Subject: reject me\r\nX-Internal: kept\r\n", "text\r\n", "bob@dest.example"));
            RecordingSink.Message m = sink.expect("delivered unchecked");
            assertTrue(m.data().contains("X-Internal: kept"), m.data());
            String log = awaitLog(id + ": removed");
            assertFalse(log.contains(id + ": reject:"), log);
            assertFalse(log.contains(id + ": warning: header"), log);
        }
    }

    /** sendmail's mail is checked too (origin "local", no proto or helo); a REJECT returns it to its sender. */
    @Test
    void localSubmissionsAreCheckedAndRejectedMailIsReturned() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             Server server = start(sink, filter)) {
            SendmailTest.Run r = SendmailTest.sendmail("Subject: please reject me\n\nfrom a script\n", "sendmail", "-C",
                    dir.toString(), "-f", "cron@dest.example", "bob@dest.example");
            assertEquals(0, r.code(), r.err());
            String log = awaitLog(": reject: header Subject: please reject me from local;");
            assertTrue(Pattern.compile(": reject: header Subject: please reject me from local; from=<cron@dest\\.example>"
                    + " to=<bob@dest\\.example>: 5\\.7\\.1 message content rejected\n").matcher(log).find(), log);
            // The bounce to the sender is Postern's own mail: it passes the checks unasked, though it quotes the subject.
            RecordingSink.Message bounce = sink.expect("the sender gets the message back");
            assertEquals(List.of("<cron@dest.example>"), bounce.rcptTo());
            assertTrue(bounce.data().contains("message content rejected"), bounce.data());
            assertTrue(bounce.data().contains("Subject: please reject me"), bounce.data());
        }
    }

    @Test
    void aTableThatCannotBeOpenedStopsTheStartNamingIt() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            Files.writeString(dir.resolve("main.cf"), "mynetworks = 127.0.0.0/8\nsmtpd_recipient_restrictions = reject_unauth_destination\nqueue_directory = " + dir.resolve("queue")
                    + "\nmaillog_file = " + dir.resolve("maillog") + "\nbody_checks = regexp:" + dir.resolve("bad") + "\n");
            Files.writeString(dir.resolve("bad"), "/unclosed(/ REJECT\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> Server.start(Server.plan(dir), null).close());
            assertTrue(e.getMessage().contains("body_checks") && e.getMessage().contains("bad regular expression"),
                    e.getMessage());
        }
    }

    /**
     * Postfix's recipe for a submission service of its own: -o cleanup_service_name names a
     * master.cf cleanup line whose -o header_checks removes the client's Received header there
     * only; mail of the other service keeps it and gets main.cf's checks.
     */
    @Test
    void aServiceCanQueueThroughACleanupServiceOfItsOwn() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            Files.writeString(dir.resolve("submission_header_checks"), "/^Received: from client\\.example/ IGNORE\n");
            start(sink, filter).close(); // writes main.cf and the tables
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "127.0.0.3:0 inet n - n - - smtpd -o cleanup_service_name=subcleanup\n"
                    + "cleanup unix n - y - 0 cleanup\n"
                    + "subcleanup unix n - y - 0 cleanup\n"
                    + "  -o header_checks=regexp:" + dir.resolve("submission_header_checks") + "\n"
                    + "filter unix - - n - - smtp\n");
            Plan plan = Server.plan(dir);
            assertEquals(List.of(), plan.warnings().stream().filter(w -> w.contains("cleanup")).toList(),
                    "cleanup lines are understood now, not ignored");
            try (Server server = Server.start(plan, null)) {
                InetSocketAddress submission = server.addresses().stream()
                        .filter(a -> a.getAddress().getHostAddress().equals("127.0.0.3")).findFirst().orElseThrow();
                InetSocketAddress mx = server.addresses().stream()
                        .filter(a -> a.getAddress().getHostAddress().equals("127.0.0.1")).findFirst().orElseThrow();
                String id = id(send(submission, "Subject: reject me not\r\n", "text\r\n", "bob@dest.example"));
                RecordingSink.Message m = sink.expect("the submission's mail: subcleanup's checks only");
                assertFalse(m.data().contains("Received: from client.example"), m.data());
                assertTrue(m.data().startsWith("Subject: reject me not"), m.data());
                awaitLog(id + ": removed");

                assertEquals("550 5.7.1 message content rejected",
                        send(mx, "Subject: reject me\r\n", "text\r\n", "bob@dest.example"), "main.cf's checks on the other");
                id(send(mx, "Subject: plain\r\n", "text\r\n", "bob@dest.example"));
                m = sink.expect("the other service's mail keeps its Received header");
                assertTrue(m.data().startsWith("Received: from client.example"), m.data());
            }
        }
    }

    /**
     * A cleanup line's -o sender_canonical_maps and virtual_alias_maps apply to the mail of the
     * services that queue through it (Postfix's cleanup reads its own service's), and to theirs
     * only; trivial-rewrite's parameters (myorigin, ...) stay main.cf's: -o myorigin there is
     * warned about as without effect.
     */
    @Test
    void aCleanupServiceOfItsOwnRewritesAddressesWithItsOwnTables() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            start(sink, filter).close(); // writes main.cf and the tables
            Files.writeString(dir.resolve("sub_canonical"), "alice@client.example alice@corp.example\n");
            Files.writeString(dir.resolve("sub_virtual"), "team@dest.example ann@dest.example, bob@dest.example\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "127.0.0.3:0 inet n - n - - smtpd -o cleanup_service_name=subcleanup\n"
                    + "subcleanup unix n - y - 0 cleanup\n"
                    + "  -o sender_canonical_maps=texthash:" + dir.resolve("sub_canonical") + "\n"
                    + "  -o virtual_alias_maps=texthash:" + dir.resolve("sub_virtual") + "\n"
                    + "  -o myorigin=elsewhere.example\n"
                    + "  -o remote_header_rewrite_domain=elsewhere.example\n"
                    + "filter unix - - n - - smtp\n");
            Plan plan = Server.plan(dir);
            assertEquals(List.of("master.cf:3: -o myorigin=elsewhere.example has no effect on cleanup service subcleanup:"
                            + " Postern's cleanup reads myorigin from main.cf (or an smtpd line's -o)",
                            "master.cf:3: -o remote_header_rewrite_domain=elsewhere.example has no effect on cleanup service"
                            + " subcleanup: Postern's cleanup reads remote_header_rewrite_domain from main.cf"),
                    plan.warnings().stream().filter(w -> w.contains("cleanup")).toList());
            try (Server server = Server.start(plan, null)) {
                InetSocketAddress submission = server.addresses().stream()
                        .filter(a -> a.getAddress().getHostAddress().equals("127.0.0.3")).findFirst().orElseThrow();
                InetSocketAddress mx = server.addresses().stream()
                        .filter(a -> a.getAddress().getHostAddress().equals("127.0.0.1")).findFirst().orElseThrow();
                String id = id(send(submission, "Subject: mapped\r\n", "text\r\n", "team@dest.example"));
                RecordingSink.Message m = sink.expect("the submission's mail, through subcleanup's tables");
                assertEquals("<alice@corp.example>", m.mailFrom());
                assertEquals(List.of("<ann@dest.example>", "<bob@dest.example>"), m.rcptTo());
                awaitLog(id + ": to=<bob@dest\\.example>, orig_to=<team@dest\\.example>");

                id(send(mx, "Subject: plain\r\n", "text\r\n", "team@dest.example"));
                m = sink.expect("the other service's mail: main.cf's rewriting (none)");
                assertEquals("<alice@client.example>", m.mailFrom());
                assertEquals(List.of("<team@dest.example>"), m.rcptTo());
            }
        }
    }

    @Test
    void cleanupServiceNamesAndTheirOptionsAreChecked() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            start(sink, filter).close();
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd -o cleanup_service_name=subcleanup\n"
                    + "filter unix - - n - - smtp\n");
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("master.cf:1") && e.getMessage().contains("cleanup_service_name = subcleanup: no"
                    + " master.cf service subcleanup runs cleanup"), e.getMessage());

            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "subcleanup unix n - y - 0 cleanup -o header_check=regexp:/x\n"
                    + "filter unix - - n - - smtp\n");
            e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("master.cf:2") && e.getMessage().contains("did you mean \"header_checks\"?"),
                    e.getMessage());

            Files.writeString(dir.resolve("bad_checks"), "/unclosed(/ REJECT\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "subcleanup unix n - y - 0 cleanup\n  -o body_checks=regexp:" + dir.resolve("bad_checks") + "\n"
                    + "filter unix - - n - - smtp\n");
            e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("master.cf:2: cleanup service subcleanup: body_checks: "), e.getMessage());
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "subcleanup unix n - y - 0 cleanup\n  -o virtual_alias_maps=regexp:" + dir.resolve("bad_checks") + "\n"
                    + "filter unix - - n - - smtp\n");
            e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("master.cf:2: cleanup service subcleanup: virtual_alias_maps: "), e.getMessage());

            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "filter unix - - n - - smtp\nfilter unix n - n - 0 cleanup\n");
            e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("master.cf:3: service filter (unix) is defined twice: line 2 runs smtp,"
                    + " this line cleanup"), e.getMessage());
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\nrelay unix n - n - 0 cleanup\n"
                    + "filter unix - - n - - smtp\n");
            e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("cleanup service relay has the name of the built-in relay transport"),
                    e.getMessage());

            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "private unix - - y - 0 cleanup\n"
                    + "filter unix - - n - - smtp\n");
            assertTrue(Server.plan(dir).warnings().stream().anyMatch(w -> w.startsWith("master.cf:2: cleanup service private:"
                    + " the private column is -")), Server.plan(dir).warnings().toString());

            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "subcleanup unix n - y - 0 cleanup -o hopcount_limit=5\n"
                    + "filter unix - - n - - smtp\n");
            assertTrue(Server.plan(dir).warnings().contains("master.cf:2: -o hopcount_limit=5 has no effect on cleanup"
                    + " service subcleanup: Postern's cleanup reads hopcount_limit from main.cf"), Server.plan(dir).warnings().toString());
        }
    }

    /** Postfix's MIME_ERR_NESTING with header checks set: 550 5.6.0, and cleanup's mime-error line. */
    @Test
    void mailNestedDeeperThanTheLimitIsRefused() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             Server server = start(sink, filter)) {
            StringBuilder headers = new StringBuilder("Subject: nested\r\n");
            StringBuilder body = new StringBuilder();
            headers.append("Content-Type: multipart/mixed; boundary=q0z\r\n");
            for (int i = 0; i < 103; i++) {
                body.append("--q").append(i).append("z\r\nContent-Type: multipart/mixed; boundary=q").append(i + 1)
                        .append("z\r\n\r\n");
            }
            body.append("--q103z\r\nContent-Disposition: attachment; filename=x.exe\r\n\r\nMZ\r\n");
            assertEquals("550 5.6.0 MIME nesting exceeds safety limit",
                    send(server.addresses().get(0), headers.toString(), body.toString(), "bob@dest.example"));
            String log = awaitLog(": reject: mime-error MIME nesting exceeds safety limit: ");
            assertTrue(Pattern.compile("[0-9A-Z]+: reject: mime-error MIME nesting exceeds safety limit: Content-Type: "
                    + "multipart/mixed; boundary=q102z from unknown\\[127\\.0\\.0\\.1\\]; from=<alice@client\\.example> "
                    + "to=<bob@dest\\.example>\n").matcher(log).find(), log);
            assertEquals(List.of(), files("incoming"));
        }
    }
}

package dev.postern.server;

import dev.postern.config.ConfigException;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;
import dev.postern.queue.QueueControl;
import dev.postern.queue.QueueEnvelope;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;
import dev.postern.queue.SpoolWriter;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After-queue content filtering end to end, as FILTER_README's "advanced" setup: a real Postern
 * whose submission service stores {@code -o content_filter=filter:[127.0.0.1]:port} with each
 * message, a test "filter" (a loopback SMTP server) that receives every recipient of it, and a
 * re-injection service ({@code -o content_filter=}, mynetworks = loopback there only) whose copy
 * goes to the final next hop: the loop is broken by the empty filter. Also access(5) FILTER from
 * a check_sender_access table, a filter that survives a restart, a queue file without the filter
 * line, and a filter naming an undefined transport refused by check.
 */
class ContentFilterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    /** main.cf: loopback is not in mynetworks, so the submission service relays only to dest.example. */
    private void write(RecordingSink finalHop, String submissionOptions) throws Exception {
        Path access = dir.resolve("sender_access");
        Files.writeString(access, "");
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 192.0.2.0/24\n"
                + "relay_domains = dest.example, other.example\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "smtpd_recipient_restrictions = check_sender_access texthash:" + access + ", reject_unauth_destination\n"
                + "relayhost = [127.0.0.1]:" + finalHop.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "maximal_backoff_time = 2s\n"
                + "queue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + submissionOptions
                + "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o content_filter=\n"
                + "  -o mynetworks=127.0.0.0/8\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n"
                + "filter unix - - n - - smtp\n"
                + "  -o syslog_name=postfix/filter\n");
    }

    private static String filterOption(RecordingSink filter) {
        return "  -o content_filter=filter:[127.0.0.1]:" + filter.port() + "\n";
    }

    private String log() throws Exception {
        Path p = dir.resolve("maillog");
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
    }

    private String awaitLog(String regex) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String log = log();
            if (p.matcher(log).find()) {
                return log;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("mail log never matched /" + regex + "/; log:\n" + log());
    }

    /** One message; returns its queue ID. */
    static String send(InetSocketAddress service, String from, String subject, String... rcpts) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            for (String r : rcpts) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + r + ">"), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command("Subject: " + subject + "\r\n\r\nbody of " + subject + "\r\n.");
            assertTrue(r.startsWith("250 2.0.0 Ok: queued as "), r);
            c.command("QUIT");
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    /** What a filter does with clean mail: the same envelope and content, back over SMTP. */
    static String reinject(InetSocketAddress service, RecordingSink.Message m) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO filter.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:" + m.mailFrom()));
            for (String r : m.rcptTo()) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:" + r), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String data = m.data().replaceAll("(?m)^\\.", "..");
            String r = c.command(data + ".");
            assertTrue(r.startsWith("250 2.0.0 Ok: queued as "), r);
            c.command("QUIT");
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    /**
     * A filter that re-injects into a filtering service (a common mistake) makes a loop; each pass
     * adds smtpd's Received header, and hopcount_limit ends it: 554 5.4.0 at the pass that reaches
     * the limit, as Postfix's cleanup (the filter then bounces or discards; the loop is over).
     */
    @Test
    void hopcountLimitEndsAFilterLoop() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            write(finalHop, filterOption(filter));
            Files.writeString(dir.resolve("main.cf"), "hopcount_limit = 5\n", java.nio.file.StandardOpenOption.APPEND);
            try (Server server = Server.start(Server.plan(dir), null)) {
                InetSocketAddress submission = server.addresses().get(0);
                send(submission, "alice@client.example", "loop", "bob@dest.example");
                String last = null;
                int passes = 0;
                while (passes < 10) {
                    RecordingSink.Message m = filter.expect("pass " + (passes + 1) + " reached the filter");
                    passes++;
                    try (SmtpTestClient c = new SmtpTestClient(submission)) { // the mistake: back into the filtering service
                        assertTrue(c.reply().startsWith("220"));
                        c.command("EHLO filter.example");
                        assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:" + m.mailFrom()));
                        assertEquals("250 2.1.5 Ok", c.command("RCPT TO:" + m.rcptTo().get(0)));
                        assertTrue(c.command("DATA").startsWith("354"));
                        last = c.command(m.data().replaceAll("(?m)^\\.", "..") + ".");
                        c.command("QUIT");
                    }
                    if (!last.startsWith("250 ")) {
                        break;
                    }
                }
                assertEquals("554 5.4.0 Error: too many hops", last);
                assertEquals(4, passes, "the message that already carries 4 Received headers gets a 5th from smtpd: refused");
                awaitLog("warning: [0-9A-F]+: message rejected: hopcount exceeded");
                assertNull(filter.take(0), "nothing more goes round");
                assertEquals(0, finalHop.pending());
            }
        }
    }

    @Test
    void everyRecipientGoesToTheFilterAndTheReinjectedCopyToItsRoute() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            write(finalHop, filterOption(filter));
            Plan plan = Server.plan(dir);
            assertTrue(plan.warnings().stream().noneMatch(w -> w.contains("content_filter")), plan.warnings().toString());
            try (Server server = Server.start(plan, null)) {
                InetSocketAddress submission = server.addresses().get(0);
                InetSocketAddress reinjection = server.addresses().get(1);
                String qid = send(submission, "alice@client.example", "scan me", "bob@dest.example", "carol@other.example");

                // Both recipients, whatever their route, in one transaction to the filter's next hop.
                RecordingSink.Message atFilter = filter.expect("the filter received the message");
                assertEquals("<alice@client.example>", atFilter.mailFrom());
                assertEquals(Set.of("<bob@dest.example>", "<carol@other.example>"), Set.copyOf(atFilter.rcptTo()));
                assertTrue(atFilter.data().contains("body of scan me"), atFilter.data());
                String log = awaitLog(" postfix/filter/smtp\\[\\d+\\]: " + qid + ": to=<carol@other\\.example>, "
                        + "relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + filter.port() + ", delay=[0-9.]+, delays=[0-9./]+, "
                        + "dsn=2\\.0\\.0, status=sent \\(250 2\\.0\\.0 Ok: queued as SINK1\\)");
                assertTrue(log.contains(qid + ": to=<bob@dest.example>, relay=127.0.0.1[127.0.0.1]:" + filter.port()), log);
                awaitLog(qid + ": removed");
                assertEquals(0, finalHop.pending(), "nothing went around the filter");

                // The filter re-injects; the copy has no filter and goes its way (relay_domains: relay transport, relayhost).
                String copy = reinject(reinjection, atFilter);
                RecordingSink.Message delivered = finalHop.expect("the re-injected copy reached its next hop");
                assertEquals(Set.of("<bob@dest.example>", "<carol@other.example>"), Set.copyOf(delivered.rcptTo()));
                assertTrue(delivered.data().contains("body of scan me"), delivered.data());
                awaitLog(" postern/relay\\[\\d+\\]: " + copy + ": to=<bob@dest\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                        + finalHop.port() + ", .*status=sent");
                awaitLog(copy + ": removed");
                assertNull(filter.take(0), "the re-injected copy did not loop back to the filter");
            }
        }
    }

    @Test
    void accessFilterActionOverridesContentFilterAndBadValuesAreWarnedAndIgnored() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             RecordingSink other = RecordingSink.start()) {
            write(finalHop, filterOption(filter));
            Files.writeString(dir.resolve("sender_access"), "special@client.example FILTER filter:[127.0.0.1]:" + other.port() + "\n"
                    + "broken@client.example FILTER nocolon\n"
                    + "empty@client.example FILTER\n");
            try (Server server = Server.start(Server.plan(dir), null)) {
                InetSocketAddress submission = server.addresses().get(0);
                String special = send(submission, "special@client.example", "special", "bob@dest.example");
                RecordingSink.Message m = other.expect("FILTER sent the message to its own filter");
                assertEquals(List.of("<bob@dest.example>"), m.rcptTo());
                awaitLog(special + ": to=<bob@dest\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + other.port()
                        + ", .*status=sent");
                String log = log();
                assertTrue(log.contains("NOQUEUE: filter: RCPT from unknown[127.0.0.1]: <special@client.example>: Sender "
                        + "address triggers FILTER filter:[127.0.0.1]:" + other.port() + "; from=<special@client.example> "
                        + "to=<bob@dest.example> proto=ESMTP helo=<client.example>"), log);

                // Postfix's checks: a warning, then as if the entry were not there (content_filter applies).
                send(submission, "broken@client.example", "broken", "bob@dest.example");
                send(submission, "empty@client.example", "empty", "bob@dest.example");
                filter.expect("a bad FILTER value is ignored");
                filter.expect("an empty FILTER value is ignored");
                log = awaitLog("has FILTER entry without value"); // the mail log is written by its own thread
                assertTrue(log.contains("warning: access table texthash:" + dir.resolve("sender_access") + " entry "
                        + "\"broken@client.example\" requires transport:destination"), log);
                assertTrue(log.contains("warning: access table texthash:" + dir.resolve("sender_access") + " entry "
                        + "\"empty@client.example\" has FILTER entry without value"), log);
                assertEquals(0, other.pending());
                assertEquals(0, finalHop.pending());
            }
        }
    }

    /** The filter is read back from the queue file: after a restart without content_filter it still applies. */
    @Test
    void aQueuedMessageKeepsItsFilterAcrossARestart() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            filter.defaultRcptReply = "451 4.3.0 scanner busy";
            write(finalHop, filterOption(filter));
            String qid;
            try (Server server = Server.start(Server.plan(dir), null)) {
                qid = send(server.addresses().get(0), "alice@client.example", "later", "bob@dest.example");
                awaitLog(qid + ": to=<bob@dest\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + filter.port()
                        + ", .*status=deferred \\(host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\] said: 451 4\\.3\\.0 scanner busy");
            }
            Optional<QueueControl.Entry> e = QueueControl.open(dir.resolve("queue")).find(qid);
            assertTrue(e.isPresent(), "deferred, still queued");
            QueuedMessage onDisk = QueueControl.open(dir.resolve("queue")).read(e.get()).orElseThrow();
            assertEquals("filter:[127.0.0.1]:" + filter.port(), onDisk.envelope().filter());

            // The service no longer filters: only the queue file can send the message to the filter now.
            write(finalHop, "");
            filter.defaultRcptReply = "250 2.1.5 Ok";
            try (Server server = Server.start(Server.plan(dir), null)) {
                RecordingSink.Message m = filter.expect("delivered to the filter after the restart");
                assertEquals(List.of("<bob@dest.example>"), m.rcptTo());
                awaitLog(qid + ": removed");
                assertEquals(0, finalHop.pending(), "not routed around the filter");
                String fresh = send(server.addresses().get(0), "alice@client.example", "fresh", "bob@dest.example");
                finalHop.expect("new mail, without content_filter now, is routed normally");
                awaitLog(fresh + ": removed");
                assertEquals(0, filter.pending());
            }
        }
    }

    /**
     * {@code postern queue requeue ID}, as an operator runs it (the CLI, against the running
     * daemon's queue); the message's new queue ID, once pickup has submitted it again (Postfix's
     * pickup logs {@code NEWID: uid=N from=<sender> orig_id=OLDID}).
     */
    private String requeue(String qid) throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.postern.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
                "-c", dir.toString(), "queue", "requeue", qid);
        assertEquals(0, code, out + "" + err);
        assertTrue(err.toString().contains("Requeued: 1 message") || out.toString().contains(qid + ": being delivered"),
                out + "" + err);
        Matcher m = Pattern.compile(" postern/pickup\\[\\d+\\]: (\\w+): uid=\\d+ from=<[^>]*> orig_id=" + qid + "\n")
                .matcher(awaitLog("orig_id=" + qid + "\n"));
        assertTrue(m.find());
        return m.group(1);
    }

    private void setMainCfContentFilter(RecordingSink finalHop, RecordingSink filter) throws Exception {
        write(finalHop, "");
        if (filter != null) {
            Files.writeString(dir.resolve("main.cf"), "content_filter = filter:[127.0.0.1]:" + filter.port() + "\n",
                    java.nio.file.StandardOpenOption.APPEND);
        }
    }

    /** Sends one message, which the busy filter defers; returns its queue ID once the deferral is logged. */
    private String deferredAtFilter(Server server, RecordingSink filter, String subject) throws Exception {
        filter.defaultRcptReply = "451 4.3.0 scanner busy";
        String qid = send(server.addresses().get(0), "alice@client.example", subject, "bob@dest.example");
        awaitLog(qid + ": to=<bob@dest\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + filter.port()
                + ", .*status=deferred \\(host 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\] said: 451 4\\.3\\.0 scanner busy");
        return qid;
    }

    /**
     * postsuper -r re-submits the message through pickup, which drops its old FILTER record and
     * writes pickup's content_filter (pickup.c): after a reload removes content_filter, a requeued
     * message that waited for its filter goes straight to its route. The reload alone does not
     * change it (the filter is the message's); the requeue does.
     */
    @Test
    void requeueAfterAReloadRemovingContentFilterDeliversDirectly() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            setMainCfContentFilter(finalHop, filter);
            try (Server server = Server.start(Server.plan(dir), null)) {
                String qid = deferredAtFilter(server, filter, "waits for the filter");
                setMainCfContentFilter(finalHop, null);
                server.reload(Server.plan(dir));
                String attempt = qid + ": to=<bob@dest.example>, relay=127.0.0.1[127.0.0.1]:" + filter.port();
                int before = count(log(), attempt);
                awaitCount(attempt, before + 1); // the reload alone: still its filter's

                String newId = requeue(qid);
                RecordingSink.Message m = finalHop.expect("the requeued message went its way, without the filter");
                assertEquals(List.of("<bob@dest.example>"), m.rcptTo());
                assertTrue(m.data().contains("body of waits for the filter"), m.data());
                awaitLog(" postern/relay\\[\\d+\\]: " + newId + ": to=<bob@dest\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                        + finalHop.port() + ", .*status=sent");
                awaitLog(newId + ": removed");
                assertEquals(0, filter.pending());
            }
        }
    }

    /**
     * A reload that changes content_filter, then a requeue: the message goes to the new filter.
     * Which one is pickup's (postsuper(1): "the same content_filter settings (if any) as used for
     * new local mail submissions"): a pickup line's -o content_filter= sends requeued mail past
     * main.cf's filter, as it does sendmail mail.
     */
    @Test
    void requeueAfterAReloadChangingContentFilterUsesPickupsNewFilter() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start();
             RecordingSink other = RecordingSink.start()) {
            setMainCfContentFilter(finalHop, filter);
            try (Server server = Server.start(Server.plan(dir), null)) {
                String qid = deferredAtFilter(server, filter, "first");
                setMainCfContentFilter(finalHop, other);
                server.reload(Server.plan(dir));
                String newId = requeue(qid);
                RecordingSink.Message m = other.expect("the requeued message went to the new filter");
                assertEquals(List.of("<bob@dest.example>"), m.rcptTo());
                assertTrue(m.data().contains("body of first"), m.data());
                awaitLog(newId + ": removed");

                // The new filter is busy too; a pickup line clearing the filter (main.cf's stays) decides.
                String second = deferredAtFilter(server, other, "second");
                Files.writeString(dir.resolve("master.cf"), "pickup unix n - y 60 1 pickup -o content_filter=\n",
                        java.nio.file.StandardOpenOption.APPEND);
                server.reload(Server.plan(dir));
                String secondNew = requeue(second);
                m = finalHop.expect("pickup's (empty) filter, not main.cf's");
                assertTrue(m.data().contains("body of second"), m.data());
                awaitLog(" postern/relay\\[\\d+\\]: " + secondNew + ": to=<bob@dest\\.example>, .*status=sent");
                awaitLog(secondNew + ": removed");
                assertEquals(0, filter.pending());
                assertEquals(0, other.pending());
            }
        }
    }

    private void awaitCount(String what, int n) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (count(log(), what) < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("mail log never had " + n + " lines with \"" + what + "\"; log:\n" + log());
            }
            Thread.sleep(50);
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    /** A queue file without the filter line, as Postern wrote it before content_filter existed, is routed as always. */
    @Test
    void aQueueFileWithoutTheFilterLineIsRoutedNormally() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            write(finalHop, filterOption(filter));
            QueueId id = QueueId.next();
            byte[] content = "Subject: old\r\n\r\nwritten before filters\r\n".getBytes(StandardCharsets.US_ASCII);
            try (Spool spool = Spool.open(dir.resolve("queue"))) {
                SpoolWriter w = new SpoolWriter(spool, id);
                w.begin(new QueueEnvelope(id, Instant.now(), ReversePath.of(MailAddress.parse("old@client.example")),
                        "x[192.0.2.1]", "x", "ESMTP", false, false, List.of(MailAddress.parse("bob@dest.example"))));
                w.write(ByteBuffer.wrap(content));
                w.commit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            String header = Files.readString(dir.resolve("queue").resolve("incoming").resolve(id.toString()),
                    StandardCharsets.ISO_8859_1);
            assertFalse(header.substring(0, header.indexOf("\n\n")).contains("\nfilter "), "no filter line: " + header);
            try (Server server = Server.start(Server.plan(dir), null)) {
                RecordingSink.Message m = finalHop.expect("routed as always");
                assertTrue(m.data().contains("written before filters"), m.data());
                awaitLog(id + ": removed");
                assertEquals(0, filter.pending());
            }
        }
    }

    /** Local submissions: pickup stores main.cf's content_filter, as Postfix's pickup.c. */
    @Test
    void sendmailMailGetsMainCfsContentFilter() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            write(finalHop, "");
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                    + "content_filter = filter:[127.0.0.1]:" + filter.port() + "\n");
            try (Server server = Server.start(Server.plan(dir), null)) {
                SendmailTest.Run r = SendmailTest.sendmail("Subject: local\n\nfrom a script\n", "sendmail", "-C",
                        dir.toString(), "-f", "cron@client.example", "bob@dest.example");
                assertEquals(0, r.code(), r.err());
                RecordingSink.Message m = filter.expect("pickup's mail went to the filter");
                assertEquals(List.of("<bob@dest.example>"), m.rcptTo());
                assertTrue(m.data().contains("from a script"), m.data());
                awaitLog("postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=\\d+ from=<cron@client\\.example>");
                assertEquals(0, finalHop.pending());
            }
        }
    }

    /**
     * A filter set only on master.cf's pickup line (-o content_filter, as FILTER_README's examples
     * filter local submissions) applies to sendmail mail, under the line's -o syslog_name, while
     * SMTP mail of a service without a filter goes its way; a reload that removes the -o applies to
     * the next local message. Without this, sendmail mail would bypass the user's scanner.
     */
    @Test
    void sendmailMailGetsThePickupLinesContentFilterUntilAReloadRemovesIt() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            write(finalHop, "");
            String master = Files.readString(dir.resolve("master.cf"));
            Files.writeString(dir.resolve("master.cf"), master + "pickup unix n - y 60 1 pickup\n"
                    + "  -o content_filter=filter:[127.0.0.1]:" + filter.port() + "\n  -o syslog_name=postfix/local\n");
            try (Server server = Server.start(Server.plan(dir), null)) {
                SendmailTest.Run r = SendmailTest.sendmail("Subject: local\n\nfrom a script\n", "sendmail", "-C",
                        dir.toString(), "-f", "cron@client.example", "bob@dest.example");
                assertEquals(0, r.code(), r.err());
                RecordingSink.Message m = filter.expect("pickup's mail went to the pickup line's filter");
                assertEquals(List.of("<bob@dest.example>"), m.rcptTo());
                assertTrue(m.data().contains("from a script"), m.data());
                awaitLog("postfix/local/pickup\\[\\d+\\]: [0-9A-Z]+: uid=\\d+ from=<cron@client\\.example>");

                send(server.addresses().get(0), "alice@client.example", "over smtp", "bob@dest.example");
                assertTrue(finalHop.expect("SMTP mail of a service without a filter").data().contains("body of over smtp"));
                assertNull(filter.take(0), "only local mail is filtered");

                Files.writeString(dir.resolve("master.cf"), master + "pickup unix n - y 60 1 pickup\n");
                server.reload(Server.plan(dir));
                r = SendmailTest.sendmail("Subject: later\n\nafter the reload\n", "sendmail", "-C",
                        dir.toString(), "-f", "cron@client.example", "bob@dest.example");
                assertEquals(0, r.code(), r.err());
                assertTrue(finalHop.expect("after the reload: no filter").data().contains("after the reload"));
                assertNull(filter.take(0), "the removed -o no longer applies");
                awaitLog("postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=\\d+ from=<cron@client\\.example>");
            }
        }
    }

    /** A content_filter on the pickup line naming an undefined transport: refused at check, naming the line. */
    @Test
    void thePickupLinesContentFilterIsChecked() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start()) {
            write(finalHop, "");
            Files.writeString(dir.resolve("master.cf"), Files.readString(dir.resolve("master.cf"))
                    + "pickup unix n - y 60 1 pickup -o content_filter=amavis:[127.0.0.1]:10024\n");
            ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("master.cf:8") && e.getMessage().contains("service pickup: content_filter = "
                    + "amavis:[127.0.0.1]:10024: transport \"amavis\" is not defined"), e.getMessage());
        }
    }

    /** An empty -o content_filter on the pickup line clears main.cf's for sendmail mail, as Postfix; check says so. */
    @Test
    void aPickupLineThatClearsTheFilterIsNamed() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start(); RecordingSink filter = RecordingSink.start()) {
            write(finalHop, "");
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                    + "content_filter = filter:[127.0.0.1]:" + filter.port() + "\n");
            Files.writeString(dir.resolve("master.cf"), Files.readString(dir.resolve("master.cf"))
                    + "pickup unix n - y 60 1 pickup -o content_filter=\n");
            List<String> warnings = Server.plan(dir).warnings();
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("master.cf:8: the pickup line's -o content_filter= clears"
                    + " main.cf's content_filter: mail submitted with sendmail is not filtered")), warnings.toString());
        }
    }

    /** The amavisd-new README's master.cf lines (as Debian ships them) load: Postfix-only settings are warned about, not fatal. */
    @Test
    void amavisMasterCfLoads() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start()) {
            write(finalHop, "");
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                    + "content_filter = smtp-amavis:[127.0.0.1]:10024\n"
                    + "receive_override_options = no_address_mappings\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "smtp-amavis unix - - n - 2 smtp\n"
                    + "    -o smtp_data_done_timeout=1200\n"
                    + "    -o smtp_send_xforward_command=yes\n"
                    + "    -o disable_dns_lookups=yes\n"
                    + "    -o max_use=20\n"
                    + "127.0.0.1:10025 inet n - n - - smtpd\n"
                    + "    -o content_filter=\n"
                    + "    -o local_recipient_maps=\n"
                    + "    -o relay_recipient_maps=\n"
                    + "    -o smtpd_restriction_classes=\n"
                    + "    -o smtpd_delay_reject=no\n"
                    + "    -o smtpd_client_restrictions=permit_mynetworks,reject\n"
                    + "    -o smtpd_helo_restrictions=\n"
                    + "    -o smtpd_sender_restrictions=\n"
                    + "    -o smtpd_recipient_restrictions=permit_mynetworks,reject\n"
                    + "    -o smtpd_data_restrictions=reject_unauth_pipelining\n"
                    + "    -o smtpd_end_of_data_restrictions=\n"
                    + "    -o mynetworks=127.0.0.0/8\n"
                    + "    -o smtpd_error_sleep_time=0\n"
                    + "    -o smtpd_soft_error_limit=1001\n"
                    + "    -o smtpd_hard_error_limit=1000\n"
                    + "    -o smtpd_client_connection_count_limit=0\n"
                    + "    -o smtpd_client_connection_rate_limit=0\n"
                    + "    -o receive_override_options=no_header_body_checks,no_unknown_recipient_checks\n");
            List<String> warnings = Server.plan(dir).warnings();
            assertTrue(warnings.contains("master.cf:2: parameter \"smtp_send_xforward_command\" is a Postfix parameter that "
                    + "Postern does not implement; it has no effect"), warnings.toString());
            assertTrue(warnings.stream().noneMatch(w -> w.contains("content_filter")), warnings.toString());
            assertTrue(warnings.stream().noneMatch(w -> w.contains("maxproc")), "maxproc 2 (amavis' max_servers) is done: "
                    + warnings);
        }
    }

    @Test
    void checkRefusesAFilterWhoseTransportIsNotDefined() throws Exception {
        try (RecordingSink finalHop = RecordingSink.start()) {
            write(finalHop, "  -o content_filter=amavis:[127.0.0.1]:10024\n");
            ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("master.cf:1"), e.getMessage());
            assertTrue(e.getMessage().contains("service 127.0.0.1:0: content_filter = amavis:[127.0.0.1]:10024: transport "
                    + "\"amavis\" is not defined"), e.getMessage());
            assertTrue(e.getMessage().contains("add a master.cf line \"amavis unix - - n - - smtp\""), e.getMessage());

            write(finalHop, "");
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")) + "content_filter = :[127.0.0.1]:10024\n");
            e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("main.cf:13"), e.getMessage());
            assertTrue(e.getMessage().contains("no transport before the ':'"), e.getMessage());

            // Valid, but every smtpd service filters: nothing can take the filter's mail back.
            write(finalHop, "");
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")) + "content_filter = filter:[127.0.0.1]:10024\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\nfilter unix - - n - - smtp\n");
            List<String> warnings = Server.plan(dir).warnings();
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("content_filter is set for every smtpd service "
                    + "(127.0.0.1:0 (master.cf:1)): mail the filter sends back is filtered again")), warnings.toString());
        }
    }
}

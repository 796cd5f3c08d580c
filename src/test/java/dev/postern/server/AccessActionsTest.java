package dev.postern.server;

import dev.postern.queue.QueueControl;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * access(5) HOLD, DISCARD, REDIRECT, BCC and PREPEND end to end: the real server on loopback,
 * its queue, its mail log, what the next hop receives, and pflogsumm's counts of held and
 * discarded mail read from that log.
 */
class AccessActionsTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FROM = "alice@client.example";

    @TempDir
    Path dir;

    private Server start(RecordingSink sink) throws Exception {
        Path table = dir.resolve("access");
        Files.writeString(table, "held@dest.example HOLD\n"
                + "trap@dest.example DISCARD spam trap\n"
                + "moved@dest.example REDIRECT catcher@dest.example\n"
                + "copied@dest.example BCC archive@dest.example\n"
                + "tagged@dest.example PREPEND X-Policy: tagged\n");
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 192.0.2.0/24\n"
                + "relay_domains = dest.example\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "smtpd_recipient_restrictions = check_recipient_access texthash:" + table + ", reject_unauth_destination\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        return Server.start(Server.plan(dir), null);
    }

    private static String send(Server server, String subject, String... rcpts) throws Exception {
        return ContentFilterTest.send(server.addresses().get(0), FROM, subject, rcpts);
    }

    private String log() throws Exception {
        return MailLogFile.read(dir.resolve("maillog"));
    }

    private String awaitLog(String regex) throws Exception {
        return MailLogFile.await(dir.resolve("maillog"), regex, WAIT);
    }

    private List<String> queued(String queue) throws Exception {
        try (Stream<Path> s = Files.list(dir.resolve("queue").resolve(queue))) {
            return s.map(f -> f.getFileName().toString()).filter(f -> !f.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void redirectBccAndPrependReachTheNextHopAsPostfixWouldSendThem() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink)) {
            sink.offerDsn = true;
            send(server, "redirected", "other@dest.example", "moved@dest.example");
            RecordingSink.Message m = sink.expect("nothing reached the next hop");
            // one recipient: the redirect, with the first recipient in qmgr's order as ORCPT
            assertEquals(List.of("<catcher@dest.example> ORCPT=rfc822;moved@dest.example"), m.rcptTo());
            assertTrue(m.data().contains("body of redirected"), m.data());

            send(server, "copied", "copied@dest.example");
            m = sink.expect("nothing reached the next hop");
            assertEquals(Set.of("<copied@dest.example> ORCPT=rfc822;copied@dest.example",
                    "<archive@dest.example> ORCPT=rfc822;archive@dest.example NOTIFY=NEVER"), Set.copyOf(m.rcptTo()));

            send(server, "tagged", "tagged@dest.example");
            m = sink.expect("nothing reached the next hop");
            assertTrue(m.data().startsWith("X-Policy: tagged\r\nReceived: from client.example"), m.data());
            // The mail log is written by its own thread: wait for the second of the two lines.
            String log = awaitLog("NOQUEUE: bcc: RCPT from ");
            assertTrue(log.contains(": redirect: RCPT from unknown[127.0.0.1]: <moved@dest.example>: Recipient address "
                    + "triggers REDIRECT catcher@dest.example; from=<" + FROM + "> to=<moved@dest.example> proto=ESMTP "
                    + "helo=<client.example>"), log);
            assertTrue(log.contains("NOQUEUE: bcc: RCPT from unknown[127.0.0.1]: <copied@dest.example>: Recipient "
                    + "address triggers BCC archive@dest.example; from=<" + FROM + "> to=<copied@dest.example> proto=ESMTP "
                    + "helo=<client.example>"), log);
        }
    }

    @Test
    void heldAndDiscardedMailAreCountedByPflogsumm() throws Exception {
        Peers.require("pflogsumm", "pflogsumm");
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink)) {
            String held = send(server, "held", "held@dest.example", "other@dest.example");
            String discarded = send(server, "discarded", "trap@dest.example", "someone@elsewhere.example");
            String plain = send(server, "plain", "other@dest.example");
            awaitLog(Pattern.quote(discarded) + ": removed \\(discarded\\)");
            // The plain message, sent last, is the only one delivered.
            RecordingSink.Message m = sink.expect("nothing reached the next hop");
            assertTrue(m.data().contains("body of plain"), m.data());
            awaitLog(Pattern.quote(plain) + ": removed");
            assertEquals(List.of(held), queued("hold"));
            assertEquals(0, sink.pending());

            // postsuper -H: the held message goes on to its recipients.
            assertEquals(List.of(held), QueueControl.open(dir.resolve("queue")).release(List.of(held)).done());
            m = sink.expect("nothing reached the next hop");
            assertTrue(m.data().contains("body of held"), m.data());
            assertEquals(Set.of("<held@dest.example>", "<other@dest.example>"), Set.copyOf(m.rcptTo()));
            awaitLog(Pattern.quote(held) + ": removed");
            for (String q : List.of("incoming", "active", "deferred", "hold", "corrupt")) {
                assertEquals(List.of(), queued(q), q);
            }
        }
        String log = log();
        assertTrue(log.contains("postern/smtpd[") && log.contains(": NOQUEUE: hold: RCPT from unknown[127.0.0.1]: "
                + "<held@dest.example>: Recipient address triggers HOLD action; from=<" + FROM + "> to=<held@dest.example> "
                + "proto=ESMTP helo=<client.example>"), log);
        assertTrue(log.contains(": NOQUEUE: discard: RCPT from unknown[127.0.0.1]: <trap@dest.example>: Recipient "
                + "address spam trap; from=<" + FROM + "> to=<trap@dest.example> proto=ESMTP helo=<client.example>"), log);
        Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("pflogsumm", "--syslog-name=postern",
                dir.resolve("maillog").toString()));
        assertEquals(0, r.exit(), r.err());
        assertEquals(3, count(r.out(), "received"), r.out());
        long sent = log.lines().filter(l -> l.contains("status=sent")).count();
        assertEquals(3, sent, log); // plain: one recipient, held: two
        assertEquals(sent, count(r.out(), "delivered"), r.out());
        assertEquals(1, count(r.out(), "held"), r.out());
        assertEquals(1, count(r.out(), "discarded"), r.out());
        assertEquals(0, count(r.out(), "rejected"), r.out());
        Set<String> details = r.out().lines().map(String::strip).collect(Collectors.toSet());
        assertTrue(details.contains("message hold detail") && details.contains("message discard detail"), r.out());
    }

    /** pflogsumm's grand totals: "   1   received". */
    private static long count(String summary, String what) {
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+" + what + "\\b").matcher(summary);
        assertTrue(m.find(), what + " missing in:\n" + summary);
        return Long.parseLong(m.group(1));
    }
}

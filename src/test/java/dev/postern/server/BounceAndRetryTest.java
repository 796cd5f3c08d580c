package dev.postern.server;

import dev.postern.testing.PythonEmail;
import dev.postern.testing.ReservedPort;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue manager and bounces end to end: the real server, real sockets, next hops that
 * refuse, reject, come back or never answer, and bounces parsed by python3's email package.
 * The sender's domain (my.domain.example) is routed to its own next hop ({@code senderHop},
 * relay_domains + relay_transport) so bounces can be received there.
 */
class BounceAndRetryTest {
    @TempDir
    Path dir;

    private static final String SENDER = "me@my.domain.example";

    private static String senderRoute(RecordingSink senderHop) {
        return "relay_domains = my.domain.example\nrelay_transport = relay:[127.0.0.1]:" + senderHop.port() + "\n";
    }

    static String send(TestMta mta, String from, String subject, String... rcpts) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
            c.reply();
            c.command("EHLO fred");
            c.command("STARTTLS");
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            c.command("EHLO fred");
            c.command("MAIL FROM:<" + from + ">");
            for (String r : rcpts) {
                c.command("RCPT TO:<" + r + ">");
            }
            c.command("DATA");
            String r = c.command("Subject: " + subject + "\r\nFrom: <" + from + ">\r\n\r\nbody of " + subject + "\r\n.");
            assertTrue(r.startsWith("250 "), r);
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    @Test
    void permanentRejectionIsBouncedToTheSenderAsAnRfc3464Report() throws Exception {
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop), "")) {
            mta.sink.rcptReplies.put("bad@somewhere.else.example", "550 5.1.1 <bad@somewhere.else.example>: Recipient address rejected: User unknown");
            String qid = send(mta, SENDER, "reject-me", "good@somewhere.else.example", "bad@somewhere.else.example");
            RecordingSink.Message delivered = mta.sink.take(20);
            assertNotNull(delivered);
            assertEquals(List.of("<good@somewhere.else.example>"), delivered.rcptTo());
            RecordingSink.Message bounce = senderHop.take(20);
            assertNotNull(bounce, "a bounce arrives at the sender's next hop");
            assertEquals("<>", bounce.mailFrom(), "bounces have the null sender");
            assertEquals(List.of("<" + SENDER + ">"), bounce.rcptTo());

            Map<String, String> dsn = PythonEmail.parse(bounce.data(), dir);
            assertEquals("multipart/report", dsn.get("content-type"), dsn.toString());
            assertEquals("delivery-status", dsn.get("report-type"));
            assertEquals("0", dsn.get("defects"), dsn.toString());
            assertEquals("text/plain,message/delivery-status,message/rfc822", dsn.get("parts"));
            assertEquals("MAILER-DAEMON@mx.postern.test (Mail Delivery System)", dsn.get("from"));
            assertEquals("Undelivered Mail Returned to Sender", dsn.get("subject"));
            assertEquals("auto-replied", dsn.get("auto-submitted"));
            assertTrue(dsn.get("text").startsWith("This is the mail system at host mx.postern.test. I'm sorry to have to inform you"),
                    dsn.get("text"));
            assertEquals("dns; mx.postern.test", dsn.get("msg.Reporting-MTA"));
            assertEquals(qid, dsn.get("msg.X-Postfix-Queue-ID"));
            assertEquals("rfc822; " + SENDER, dsn.get("msg.X-Postfix-Sender"));
            assertNotNull(dsn.get("msg.Arrival-Date"));
            assertEquals("rfc822; bad@somewhere.else.example", dsn.get("rcpt0.Final-Recipient"));
            assertEquals("failed", dsn.get("rcpt0.Action"));
            assertEquals("5.1.1", dsn.get("rcpt0.Status"));
            assertEquals("dns; 127.0.0.1", dsn.get("rcpt0.Remote-MTA"));
            assertEquals("smtp; 550 5.1.1 <bad@somewhere.else.example>: Recipient address rejected: User unknown",
                    dsn.get("rcpt0.Diagnostic-Code"));
            assertNull(dsn.get("rcpt1.Final-Recipient"), "only the failed recipient is reported");
            assertEquals("reject-me", dsn.get("original.subject"));

            String log = mta.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            assertTrue(log.contains(qid + ": to=<bad@somewhere.else.example>, relay=127.0.0.1[127.0.0.1]:" + mta.sink.port()), log);
            assertTrue(Pattern.compile("postern/bounce\\[\\d+\\]: " + qid + ": sender non-delivery notification: [0-9A-F]+").matcher(log).find(), log);
            assertTrue(log.contains("dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: 550 5.1.1"), log);
        }
    }

    @Test
    void expiredMailIsReturnedToTheSender() throws Exception {
        try (ReservedPort closed = ReservedPort.reserve();
             RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop) + "relayhost = [127.0.0.1]:" + closed.port() + "\n"
                     + "maximal_queue_lifetime = 3s\nmaximal_backoff_time = 1s\n", "")) {
            String qid = send(mta, SENDER, "too-old", "someone@somewhere.else.example");
            String log = mta.awaitLog(qid + ": from=<" + Pattern.quote(SENDER) + ">, status=expired, returned to sender", Duration.ofSeconds(30));
            assertTrue(log.contains(qid + ": to=<someone@somewhere.else.example>, relay=none"), log);
            RecordingSink.Message bounce = senderHop.take(20);
            assertNotNull(bounce, "returned to sender");
            assertEquals("<>", bounce.mailFrom());
            Map<String, String> dsn = PythonEmail.parse(bounce.data(), dir);
            assertEquals("multipart/report", dsn.get("content-type"));
            assertEquals("delivery-status", dsn.get("report-type"));
            assertEquals("rfc822; someone@somewhere.else.example", dsn.get("rcpt0.Final-Recipient"));
            assertEquals("failed", dsn.get("rcpt0.Action"));
            assertTrue(dsn.get("rcpt0.Status").startsWith("4.4."), dsn.toString());
            assertTrue(dsn.get("rcpt0.Diagnostic-Code").contains("Connection refused"), dsn.toString());
            mta.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            awaitEmpty(mta);
        }
    }

    @Test
    void anUndeliverableBounceIsNotBouncedAgain() throws Exception {
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop), "")) {
            mta.sink.defaultRcptReply = "550 5.1.1 no such user";
            senderHop.defaultRcptReply = "550 5.1.1 sender mailbox gone";
            String qid = send(mta, SENDER, "loop-me", "bad@somewhere.else.example");
            String log = mta.awaitLog(qid + ": sender non-delivery notification: ([0-9A-F]+)", Duration.ofSeconds(20));
            String bounceId = group(log, qid + ": sender non-delivery notification: ([0-9A-F]+)");
            log = mta.awaitLog(bounceId + ": undeliverable bounce discarded \\(notify_classes has no 2bounce\\)", Duration.ofSeconds(20));
            mta.awaitLog(bounceId + ": removed", Duration.ofSeconds(10));
            awaitEmpty(mta);
            log = mta.log();
            assertEquals(1, count(log, "non-delivery notification"), "exactly one bounce, no bounce of the bounce:\n" + log);
            assertTrue(log.contains(bounceId + ": to=<" + SENDER + ">"), log);
        }
    }

    @Test
    void anUndeliverableBounceGoesToThePostmasterWith2bounce() throws Exception {
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop)
                     + "notify_classes = 2bounce\n2bounce_notice_recipient = postmaster@ops.example\n", "")) {
            mta.sink.rcptReplies.put("bad@somewhere.else.example", "550 5.1.1 no such user");
            senderHop.defaultRcptReply = "550 5.1.1 sender mailbox gone";
            String qid = send(mta, SENDER, "double", "bad@somewhere.else.example");
            String log = mta.awaitLog(qid + ": sender non-delivery notification: ([0-9A-F]+)", Duration.ofSeconds(20));
            String bounceId = group(log, qid + ": sender non-delivery notification: ([0-9A-F]+)");
            mta.awaitLog(bounceId + ": postmaster non-delivery notification: [0-9A-F]+", Duration.ofSeconds(20));
            RecordingSink.Message notice = mta.sink.take(20);
            assertNotNull(notice, "the double bounce reaches 2bounce_notice_recipient");
            assertEquals("<double-bounce@mx.postern.test>", notice.mailFrom());
            assertEquals(List.of("<postmaster@ops.example>"), notice.rcptTo());
            Map<String, String> dsn = PythonEmail.parse(notice.data(), dir);
            assertEquals("Postmaster Copy: Undelivered Mail", dsn.get("subject"));
            assertEquals("multipart/report", dsn.get("content-type"));
            assertEquals("rfc822; " + SENDER, dsn.get("rcpt0.Final-Recipient"));
            assertEquals("Undelivered Mail Returned to Sender", dsn.get("original.subject"), "the failed bounce is attached");
            awaitEmpty(mta);
            assertEquals(2, count(mta.log(), "non-delivery notification"), mta.log());
        }
    }

    @Test
    void nextHopDownIsSuspendedThenDeliveredWhenItComesBack() throws Exception {
        try (ReservedPort down = ReservedPort.reserve();
             TestMta mta = TestMta.start(dir, "relayhost = [127.0.0.1]:" + down.port() + "\nmaximal_backoff_time = 2s\n", "")) {
            int hopPort = down.port();
            String first = send(mta, SENDER, "first", "someone@somewhere.else.example");
            String refused = "connect to 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + hopPort + ": Connection refused";
            mta.awaitLog(first + ": to=<someone@somewhere\\.else\\.example>, relay=none, delay=[0-9.]+, delays=[0-9./]+, "
                    + "dsn=4\\.4\\.1, status=deferred \\(" + refused + "\\)", Duration.ofSeconds(20));
            mta.awaitLog("postern/qmgr\\[\\d+\\]: destination smtp:\\[127\\.0\\.0\\.1\\]:" + hopPort + " marked down for 1s: " + refused,
                    Duration.ofSeconds(5));
            String second = send(mta, SENDER, "second", "other@somewhere.else.example");
            mta.awaitLog(second + ": to=<other@somewhere\\.else\\.example>, relay=none, .*dsn=4\\.4\\.1, status=deferred "
                    + "\\(delivery temporarily suspended: " + refused + "\\)", Duration.ofSeconds(20));
            try (RecordingSink hop = RecordingSink.start(hopPort)) {
                assertNotNull(hop.take(30), "delivered after the next hop came back");
                assertNotNull(hop.take(30), "both delivered");
                mta.awaitLog(first + ": removed", Duration.ofSeconds(10));
                mta.awaitLog(second + ": removed", Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void aDeadDestinationDoesNotDelayMailToALiveOne() throws Exception {
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket blackhole = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             RecordingSink live = RecordingSink.start()) {
            Thread acceptor = new Thread(() -> {
                while (!blackhole.isClosed()) {
                    try {
                        held.add(blackhole.accept()); // accepts, never answers
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String main = "relayhost = [127.0.0.1]:" + blackhole.getLocalPort() + "\n"
                    + "relay_domains = live.example\nrelay_transport = relay:[127.0.0.1]:" + live.port() + "\n"
                    + "default_destination_concurrency_limit = 2\ndefault_process_limit = 4\nsmtp_helo_timeout = 30s\n";
            try (TestMta mta = TestMta.start(dir, main, "")) {
                for (int i = 0; i < 6; i++) {
                    send(mta, SENDER, "dead-" + i, "user" + i + "@dead.example");
                }
                awaitTrue(() -> held.size() == 2, "the dead destination holds its two connections");
                long start = System.nanoTime();
                for (int i = 0; i < 5; i++) {
                    send(mta, SENDER, "live-" + i, "user" + i + "@live.example");
                }
                for (int i = 0; i < 5; i++) {
                    assertNotNull(live.take(10), "live message " + i + " delivered");
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                System.out.println("BounceAndRetryTest: 5 messages to the live destination in " + millis
                        + " ms while the dead one held " + held.size() + " connections");
                assertTrue(millis < 10_000, "live mail went out while the dead destination was stuck: " + millis + " ms");
                assertEquals(2, held.size(), "the dead destination never took more than its concurrency limit");
                assertFalse(mta.log().contains("@dead.example>, relay"), "no dead-destination delivery has finished yet");
                for (Socket s : held) {
                    s.close(); // let the stuck deliveries end so the server stops quickly
                }
            }
        }
    }

    private static void awaitEmpty(TestMta mta) throws Exception {
        awaitTrue(() -> mta.queuedFiles() == 0, "queue empty");
    }

    interface Check {
        boolean ok() throws Exception;
    }

    static void awaitTrue(Check c, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (c.ok()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out waiting: " + what);
    }

    static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex);
        return m.group(1);
    }

    static int count(String text, String needle) {
        Matcher m = Pattern.compile(Pattern.quote(needle)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}

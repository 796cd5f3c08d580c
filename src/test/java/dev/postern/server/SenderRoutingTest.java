package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's client side ("Client-side postfix configuration") as written, on loopback: main.cf
 * with relayhost, sender_dependent_relayhost_maps = hash:..., the smtp_tls_* lines and
 * smtp_tls_policy_maps; the two map files with the seed's lines (hosts and ports substituted by
 * loopback sinks; the policy level is {@code may} because these sinks speak plain SMTP: the
 * client-certificate {@code secure} hop is the smtp package's test). Local programs submit over
 * SMTP from mynetworks. Checked by what each next hop received and by the mail log's relay= lines.
 */
class SenderRoutingTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private RecordingSink isp;
    private RecordingSink domainA;
    private RecordingSink direct;
    private Server server;
    private Path mailLog;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private void start(String transportMapsLine) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        isp = RecordingSink.start();
        domainA = RecordingSink.start();
        direct = RecordingSink.start();
        open.add(isp);
        open.add(domainA);
        open.add(direct);
        String hopA = "[127.0.0.1]:" + domainA.port();
        Files.writeString(dir.resolve("sender_dependent_relayhost"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:sender_dependent_relayhost < sender_dependent_relayhost",
                "",
                "# sender should be submitted to\t" + hopA,
                "@domain-a.example\t" + hopA,
                "# Postern: every subdomain of domain-a.example too",
                ".domain-a.example\t" + hopA, ""));
        Files.writeString(dir.resolve("smtp_tls_policy"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:smtp_tls_policy < smtp_tls_policy",
                "domain-a.example\tmay",
                hopA + "\tmay", ""));
        Files.writeString(dir.resolve("transport"), "urgent@far.example\tsmtp:[127.0.0.1]:" + direct.port() + "\n"
                + "gone.example\terror:5.1.1 mailbox moved\n");
        mailLog = dir.resolve("maillog");
        String main = SeedClientSide.mainCf("[127.0.0.1]:" + isp.port(), dir.resolve("sender_dependent_relayhost"), pki,
                dir.resolve("smtp_tls_policy")) + String.join("\n",
                "# Test environment",
                transportMapsLine,
                "myhostname = desktop.postern.test",
                "mynetworks = 127.0.0.0/8",
                "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
                "queue_directory = " + dir.resolve("queue"),
                "data_directory = " + dir.resolve("data"),
                "maillog_file = " + mailLog,
                "minimal_backoff_time = 1s",
                "queue_run_delay = 1s", "");
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0      inet  n       -       n       -       -       smtpd\n");
        server = Server.start(Server.plan(dir), new ByteArrayOutputStream());
    }

    /** Submits like a local program (plain SMTP from loopback, in mynetworks); returns the queue id. */
    private String submit(String from, String to, String subject) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO desktop").startsWith("250"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + to + ">"));
            assertTrue(c.command("DATA").startsWith("354"));
            String queued = c.command("Subject: " + subject + "\r\n\r\nbody\r\n.");
            assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
            c.command("QUIT");
            return queued.substring(queued.lastIndexOf(' ') + 1);
        }
    }

    private String awaitLog(String regex) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            String log = Files.exists(mailLog) ? Files.readString(mailLog, StandardCharsets.UTF_8) : "";
            if (p.matcher(log).find()) {
                return log;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("mail log never matched /" + regex + "/:\n" + Files.readString(mailLog));
    }

    private static void assertReceived(RecordingSink sink, String from, String to, String subject) throws Exception {
        RecordingSink.Message m = sink.take(30);
        assertNotNull(m, subject + ": the expected next hop received nothing");
        assertEquals("<" + from + ">", m.mailFrom());
        assertEquals(List.of("<" + to + ">"), m.rcptTo());
        assertTrue(m.data().contains("Subject: " + subject + "\r\n"), m.data());
    }

    private String relayLine(String qid, String to, RecordingSink sink) {
        return qid + ": to=<" + Pattern.quote(to) + ">, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:" + sink.port()
                + ", (?:conn_use=\\d+, )?delay=[0-9.]+, delays=[0-9./]+, dsn=2\\.0\\.0, status=sent";
    }

    @Test
    void mailGoesWhereTheSendersDomainSays() throws Exception {
        start("transport_maps = hash:" + dir.resolve("transport"));

        String a = submit("me@domain-a.example", "friend@far.example", "from domain-a");
        assertReceived(domainA, "me@domain-a.example", "friend@far.example", "from domain-a");
        awaitLog(relayLine(a, "friend@far.example", domainA));

        String other = submit("me@old.example", "friend@far.example", "from the old domain");
        assertReceived(isp, "me@old.example", "friend@far.example", "from the old domain");
        awaitLog(relayLine(other, "friend@far.example", isp));

        String sub = submit("x@sub.domain-a.example", "friend@far.example", "from a subdomain");
        assertReceived(domainA, "x@sub.domain-a.example", "friend@far.example", "from a subdomain");
        awaitLog(relayLine(sub, "friend@far.example", domainA));

        String urgent = submit("me@domain-a.example", "urgent@far.example", "transport_maps wins");
        assertReceived(direct, "me@domain-a.example", "urgent@far.example", "transport_maps wins");
        awaitLog(relayLine(urgent, "urgent@far.example", direct));

        String gone = submit("me@old.example", "someone@gone.example", "error transport");
        awaitLog(gone + ": to=<someone@gone\\.example>, relay=none, delay=[0-9.]+, delays=[0-9./]+, dsn=5\\.1\\.1, "
                + "status=bounced \\(mailbox moved\\)");
        // The sender is told, by a bounce routed like any mail from <> to me@old.example: the smarthost.
        RecordingSink.Message bounce = isp.take(20);
        assertEquals("<>", bounce.mailFrom());
        assertEquals(List.of("<me@old.example>"), bounce.rcptTo());
        assertTrue(bounce.data().contains("Final-Recipient: rfc822; someone@gone.example\r\n"
                + "Original-Recipient: rfc822; someone@gone.example\r\nAction: failed\r\nStatus: 5.1.1"),
                bounce.data());

        assertNull(isp.take(1), "nothing else reached the smarthost");
        assertEquals(0, domainA.pending());
        assertEquals(0, direct.pending());
    }

    @Test
    void aMissingTableDefersAndNeverRoutesElsewhere() throws Exception {
        Path transport = dir.resolve("transport-not-yet");
        start("transport_maps = hash:" + transport);
        String qid = submit("me@domain-a.example", "friend@far.example", "waits for the table");
        String log = awaitLog(qid + ": to=<friend@far\\.example>, relay=none, delay=[0-9.]+, delays=[0-9./]+, "
                + "dsn=4\\.3\\.0, status=deferred \\(address resolver failure \\(transport_maps lookup failure\\)\\)");
        assertTrue(log.contains("warning: " + qid + ": transport_maps lookup failure: hash:" + transport
                + " is unavailable"), log);
        assertTrue(log.contains("warning: transport_maps: hash:" + transport
                + " is unavailable"), "start warns about the missing table:\n" + log);
        assertNull(domainA.take(1), "a failed table must not let mail take another route");
        assertEquals(0, isp.pending());

        Files.writeString(transport, "other.example\tsmtp:[127.0.0.1]:" + direct.port() + "\n");
        assertReceived(domainA, "me@domain-a.example", "friend@far.example", "waits for the table");
        awaitLog(relayLine(qid, "friend@far.example", domainA));
    }
}

package dev.postern.server;

import dev.postern.testing.Peers;
import dev.postern.testing.PythonEmail;
import dev.postern.testing.ReservedPort;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DSN SMTP extension (RFC 3461) end to end on the real server: the parameters accepted (or
 * refused with Postfix's replies), kept in the queue file, honoured by the notices (parsed by
 * python3's email package) and passed on to a next hop that offers DSN, not to one that does not.
 * The sender's domain is routed to its own next hop ({@code senderHop}) so notices can be received.
 */
class DsnTest {
    @TempDir
    Path dir;

    private static final String SENDER = "me@my.domain.example";

    private static String senderRoute(RecordingSink senderHop) {
        return "relay_domains = my.domain.example\nrelay_transport = relay:[127.0.0.1]:" + senderHop.port() + "\n";
    }

    /** EHLO, STARTTLS with the client certificate, EHLO again; the second EHLO reply is returned. */
    private static String hello(SmtpTestClient c, TestMta mta) throws Exception {
        c.reply();
        c.command("EHLO fred");
        c.command("STARTTLS");
        c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
        return c.command("EHLO fred");
    }

    /** Sends one message: {@code mail} is the MAIL FROM argument, {@code rcpts} the RCPT TO arguments. */
    private static String send(TestMta mta, String mail, String subject, String... rcpts) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
            hello(c, mta);
            String r = c.command("MAIL FROM:" + mail);
            assertTrue(r.startsWith("250 "), r);
            for (String rcpt : rcpts) {
                r = c.command("RCPT TO:" + rcpt);
                assertTrue(r.startsWith("250 "), r);
            }
            c.command("DATA");
            r = c.command("Subject: " + subject + "\r\nFrom: <" + SENDER + ">\r\n\r\nsecret body of " + subject + "\r\n.");
            assertTrue(r.startsWith("250 "), r);
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    @Test
    void ehloOffersDsnAndBadParametersGetPostfixReplies() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "");
             SmtpTestClient c = new SmtpTestClient(mta.submission())) {
            String ehlo = hello(c, mta);
            assertTrue(ehlo.contains("250-DSN") || ehlo.contains("250 DSN"), ehlo);
            assertEquals("501 5.5.4 Bad RET parameter syntax", c.command("MAIL FROM:<" + SENDER + "> RET=BODY").strip());
            assertEquals("501 5.5.4 Bad ENVID parameter syntax", c.command("MAIL FROM:<" + SENDER + "> ENVID=a+zz").strip());
            assertEquals("501 5.5.4 Bad ENVID parameter syntax", c.command("MAIL FROM:<" + SENDER + "> ENVID=a+0Ab").strip(),
                    "a control character in the decoded ENVID");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + SENDER + "> ret=hdrs ENVID=abc+2B1").strip());
            assertEquals("501 5.5.4 Error: Bad NOTIFY parameter syntax",
                    c.command("RCPT TO:<a@somewhere.else.example> NOTIFY=NEVER,SUCCESS").strip());
            assertEquals("501 5.5.4 Error: Bad NOTIFY parameter syntax",
                    c.command("RCPT TO:<a@somewhere.else.example> NOTIFY=SOMETIMES").strip());
            assertEquals("501 5.5.4 Error: Bad ORCPT parameter syntax",
                    c.command("RCPT TO:<a@somewhere.else.example> ORCPT=a@somewhere.else.example").strip());
            assertEquals("501 5.5.4 Error: Bad ORCPT parameter syntax",
                    c.command("RCPT TO:<a@somewhere.else.example> ORCPT=rfc822;a=b").strip());
            assertEquals("555 5.5.4 Unsupported option: FOO=1", c.command("RCPT TO:<a@somewhere.else.example> FOO=1").strip());
            assertEquals("250 2.1.5 Ok",
                    c.command("RCPT TO:<a@somewhere.else.example> notify=success,delay ORCPT=rfc822;x+2By@example.org").strip());
        }
    }

    @Test
    void notifySuccessGetsARelayedNoticeWhenTheNextHopDoesNotOfferDsn() throws Exception {
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop), "")) {
            String qid = send(mta, "<" + SENDER + "> RET=FULL ENVID=QQ+2B1", "ok-me",
                    "<ok@somewhere.else.example> NOTIFY=SUCCESS ORCPT=rfc822;orig+2Bx@elsewhere.example",
                    "<quiet@somewhere.else.example>");
            RecordingSink.Message delivered = mta.sink.take(20);
            assertNotNull(delivered);
            assertEquals("<" + SENDER + ">", delivered.mailFrom(), "no DSN parameters to a next hop without DSN");
            assertEquals(List.of("<ok@somewhere.else.example>", "<quiet@somewhere.else.example>"), delivered.rcptTo());

            RecordingSink.Message notice = senderHop.take(20);
            assertNotNull(notice, "a success notice arrives at the sender's next hop");
            assertEquals("<>", notice.mailFrom());
            assertEquals(List.of("<" + SENDER + ">"), notice.rcptTo());
            Map<String, String> dsn = PythonEmail.parse(notice.data(), dir);
            assertEquals("0", dsn.get("defects"), dsn.toString());
            assertEquals("Successful Mail Delivery Report", dsn.get("subject"));
            assertEquals("text/plain,message/delivery-status,text/rfc822-headers", dsn.get("parts"), "headers only, as Postfix");
            assertEquals("ok-me", dsn.get("headers.subject"));
            assertFalse(notice.data().contains("secret body"), "no body in a success notice");
            assertTrue(dsn.get("text").contains("Your message was successfully delivered"), dsn.get("text"));
            assertEquals("QQ+1", dsn.get("msg.Original-Envelope-Id"));
            assertEquals("rfc822; ok@somewhere.else.example", dsn.get("rcpt0.Final-Recipient"));
            assertEquals("rfc822;orig+x@elsewhere.example", dsn.get("rcpt0.Original-Recipient"));
            assertEquals("relayed", dsn.get("rcpt0.Action"));
            assertEquals("2.0.0", dsn.get("rcpt0.Status"));
            assertEquals("dns; 127.0.0.1", dsn.get("rcpt0.Remote-MTA"));
            assertTrue(dsn.get("rcpt0.Diagnostic-Code").startsWith("smtp; 250 2.0.0 Ok: queued as SINK"), dsn.toString());
            assertNull(dsn.get("rcpt1.Final-Recipient"), "only the recipient that asked is reported");

            String log = mta.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            assertTrue(Pattern.compile("postern/bounce\\[\\d+\\]: " + qid + ": sender delivery status notification: [0-9A-F]+")
                    .matcher(log).find(), log);
        }
    }

    @Test
    void theParametersArePassedOnToANextHopThatOffersDsnAndItReportsSuccess() throws Exception {
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop), "")) {
            mta.sink.offerDsn = true;
            String qid = send(mta, "<" + SENDER + "> RET=HDRS ENVID=QQ+2B1", "pass-me",
                    "<ok@somewhere.else.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+2Bx@elsewhere.example",
                    "<plain@somewhere.else.example>");
            RecordingSink.Message delivered = mta.sink.take(20);
            assertNotNull(delivered);
            assertEquals("<" + SENDER + "> ENVID=QQ+2B1 RET=HDRS", delivered.mailFrom());
            assertEquals(List.of("<ok@somewhere.else.example> ORCPT=rfc822;orig+2Bx@elsewhere.example NOTIFY=SUCCESS,FAILURE",
                    "<plain@somewhere.else.example> ORCPT=rfc822;plain@somewhere.else.example"), delivered.rcptTo(),
                    "ORCPT defaults to the recipient as received; NOTIFY only when given (RFC 3461 5.2.1)");
            String log = mta.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            assertFalse(log.contains("delivery status notification"), "the next hop took NOTIFY=SUCCESS over:\n" + log);
            assertNull(senderHop.take(0), "no notice from us");
        }
    }

    @Test
    void notifyNeverGetsNoBounceAndRetHdrsReturnsHeadersOnly() throws Exception {
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop), "")) {
            mta.sink.defaultRcptReply = "550 5.1.1 no such user";
            String quiet = send(mta, "<" + SENDER + ">", "never-me", "<never@somewhere.else.example> NOTIFY=NEVER");
            String log = mta.awaitLog(quiet + ": removed", Duration.ofSeconds(20));
            assertTrue(log.contains(quiet + ": to=<never@somewhere.else.example>"), log);
            assertTrue(log.contains("status=bounced"), log);
            assertFalse(log.contains(quiet + ": sender non-delivery notification"), "NOTIFY=NEVER: no bounce\n" + log);

            String qid = send(mta, "<" + SENDER + "> RET=HDRS ENVID=env-42", "hdrs-me",
                    "<gone@somewhere.else.example> ORCPT=rfc822;alias+2Bgone@my.domain.example",
                    "<never2@somewhere.else.example> NOTIFY=NEVER");
            RecordingSink.Message bounce = senderHop.take(20);
            assertNotNull(bounce, "the bounce of the second message");
            Map<String, String> dsn = PythonEmail.parse(bounce.data(), dir);
            assertEquals("Undelivered Mail Returned to Sender", dsn.get("subject"));
            assertEquals("0", dsn.get("defects"), dsn.toString());
            assertEquals("text/plain,message/delivery-status,text/rfc822-headers", dsn.get("parts"), "RET=HDRS");
            assertEquals("hdrs-me", dsn.get("headers.subject"));
            assertFalse(bounce.data().contains("secret body"), "RET=HDRS returns no body");
            assertEquals(qid, dsn.get("msg.X-Postfix-Queue-ID"));
            assertEquals("env-42", dsn.get("msg.Original-Envelope-Id"));
            assertEquals("rfc822; gone@somewhere.else.example", dsn.get("rcpt0.Final-Recipient"));
            assertEquals("rfc822;alias+gone@my.domain.example", dsn.get("rcpt0.Original-Recipient"));
            assertEquals("failed", dsn.get("rcpt0.Action"));
            assertEquals("5.1.1", dsn.get("rcpt0.Status"));
            assertNull(dsn.get("rcpt1.Final-Recipient"), "the NOTIFY=NEVER recipient is not reported");
            mta.awaitLog(qid + ": removed", Duration.ofSeconds(10));
            assertNull(senderHop.take(0), "nothing for the first message");
        }
    }

    @Test
    void delayNoticesGoOnlyToRecipientsThatAskedForThem() throws Exception {
        try (ReservedPort closed = ReservedPort.reserve();
             RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop)
                     + "transport_maps = inline:{ slow.example = smtp:[127.0.0.1]:" + closed.port() + " }\n"
                     + "delay_warning_time = 1s\nmaximal_backoff_time = 1s\n", "")) {
            String qid = send(mta, "<" + SENDER + ">", "slow-me",
                    "<waits@slow.example> NOTIFY=DELAY,FAILURE", "<nodelay@slow.example> NOTIFY=FAILURE");
            mta.awaitLog(qid + ": sender delay notification: [0-9A-F]+", Duration.ofSeconds(30));
            RecordingSink.Message notice = senderHop.take(20);
            assertNotNull(notice);
            Map<String, String> dsn = PythonEmail.parse(notice.data(), dir);
            assertEquals("Delayed Mail (still being retried)", dsn.get("subject"));
            assertEquals("rfc822; waits@slow.example", dsn.get("rcpt0.Final-Recipient"));
            assertEquals("delayed", dsn.get("rcpt0.Action"));
            assertNull(dsn.get("rcpt1.Final-Recipient"), "NOTIFY=FAILURE alone: no delay notice:\n" + dsn);
        }
    }

    /** Python's smtplib, a client nobody here wrote, with mail_options and rcpt_options. */
    @Test
    void pythonSmtplibRequestsHeadersOnlyAndSuccess() throws Exception {
        Peers.require("python3", "python3");
        try (RecordingSink senderHop = RecordingSink.start();
             TestMta mta = TestMta.start(dir, senderRoute(senderHop), "")) {
            Path script = dir.resolve("dsn.py");
            Files.writeString(script, String.join("\n",
                    "import smtplib, ssl, sys",
                    "ctx = ssl.create_default_context(cafile=sys.argv[3])",
                    "ctx.check_hostname = False",
                    "ctx.load_cert_chain(sys.argv[4], sys.argv[5])",
                    "s = smtplib.SMTP('127.0.0.1', int(sys.argv[2]), timeout=60)",
                    "s.starttls(context=ctx)",
                    "s.ehlo('python.test')",
                    "print('dsn', s.has_extn('dsn'))",
                    "msg = 'Subject: from python\\r\\nFrom: <" + SENDER + ">\\r\\n\\r\\nsecret body\\r\\n'",
                    "print('refused', s.sendmail('" + SENDER + "', ['ok@somewhere.else.example'], msg,",
                    "      mail_options=['RET=HDRS', 'ENVID=py+2B1'], rcpt_options=['NOTIFY=SUCCESS']))",
                    "s.quit()", ""));
            Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("python3", script.toString(),
                    "127.0.0.1", String.valueOf(mta.submission().getPort()), mta.pki.caFile().toString(),
                    mta.pki.goodClient().certFile().toString(), mta.pki.goodClient().keyFile().toString()));
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("dsn True"), r.out());
            assertTrue(r.out().contains("refused {}"), r.out());
            assertNotNull(mta.sink.take(20));
            RecordingSink.Message notice = senderHop.take(20);
            assertNotNull(notice, "the success notice smtplib asked for");
            Map<String, String> dsn = PythonEmail.parse(notice.data(), dir);
            assertEquals("Successful Mail Delivery Report", dsn.get("subject"));
            assertEquals("py+1", dsn.get("msg.Original-Envelope-Id"));
            assertEquals("relayed", dsn.get("rcpt0.Action"));
            assertEquals("from python", dsn.get("headers.subject"));
        }
    }
}

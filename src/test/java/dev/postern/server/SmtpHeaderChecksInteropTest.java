package dev.postern.server;

import dev.postern.testing.MailLogFile;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks and smtp_body_checks
 * against real Postfix (Debian's) as the SMTP client: the same tables and the same MIME message
 * relayed by each to a recording next hop. What the next hop receives must be byte for byte the
 * same (each MTA's own Received header is IGNOREd by the table), and the SMTP client's log lines
 * (smtp_hbc_logger's and the warnings) the same, queue IDs aside.
 */
class SmtpHeaderChecksInteropTest {
    @TempDir
    Path dir;

    private static final String MESSAGE = "From: alice@client.example\r\n"
            + "To: bob@far.example\r\n"
            + "Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n"
            + "Message-ID: <interop@client.example>\r\n"
            + "Received: from desktop.home (desktop.home [192.168.1.20])\r\n"
            + "\tby gw.home (Postfix) with ESMTP id 4F1A2\r\n"
            + "X-Originating-IP: [192.168.1.20]\r\n"
            + "Subject: secret plans\r\n"
            + "X-Hold: yes\r\n"
            + "X-Reject: yes\r\n"
            + "X-Folded: first\r\n"
            + "\tsecond\r\n"
            // Shorter than 60: Postfix before 3.8 (Debian 12's 3.7) logs %.60s of the content, 3.8 and later
            // (postfix-3.8-20230312) and Postern %.200s; SmtpContentChecksTest checks the 200.
            + "X-Long: " + "v".repeat(40) + "\r\n"
            + "X-Mailer: Desktop 1.0\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
            + "\r\n"
            + "preamble\r\n"
            + "--b1\r\n"
            + "Content-Type: text/plain\r\n"
            + "\r\n"
            + "password: hunter2\r\n"
            + "..dot line\r\n" // dot-stuffed on the way in
            + "--b1\r\n"
            + "Content-Type: message/rfc822\r\n"
            + "\r\n"
            + "Subject: inner\r\n"
            + "X-Originating-IP: [192.168.1.21]\r\n"
            + "\r\n"
            + "inner body\r\n"
            + "--b1--\r\n";

    private Map<String, String> tables() throws Exception {
        Path h = dir.resolve("smtp_header_checks");
        Files.writeString(h, String.join("\n",
                "/^Received:.*192\\.168\\./ IGNORE",
                "/^Received: from client\\.example / IGNORE",
                "/^X-Originating-IP:/ IGNORE",
                "/^Subject: secret/ REPLACE Subject: [redacted]",
                "/^X-Hold:/ HOLD",
                "/^X-Reject:/ REJECT 5.7.1 not here",
                "/^X-Folded:/ INFO folded",
                "/^X-Long:/ STRIP",
                "/^X-Mailer:/ PREPEND X-Relayed-By: desktop",
                "/^Content-Type:/ REPLACE X-Never: seen",
                ""));
        Path m = dir.resolve("smtp_mime_header_checks");
        Files.writeString(m, "/^Content-Type: text.plain/ PREPEND X-Part: text\n");
        Path n = dir.resolve("smtp_nested_header_checks");
        Files.writeString(n, "/^Subject:/ REPLACE Subject: nested\n/^X-Originating-IP:/ WARN nested address\n");
        Path b = dir.resolve("smtp_body_checks");
        Files.writeString(b, "/^password: / REPLACE password: [removed]\n/^inner body$/ PREPEND .prepended\n"
                + "/^preamble$/ FROB\n");
        Map<String, String> t = new LinkedHashMap<>();
        t.put("smtp_header_checks", "regexp:" + h);
        t.put("smtp_mime_header_checks", "regexp:" + m);
        t.put("smtp_nested_header_checks", "regexp:" + n);
        t.put("smtp_body_checks", "regexp:" + b);
        return t;
    }

    private static void send(InetSocketAddress smtpd) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(smtpd)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@client.example>"));
            assertTrue(c.command("RCPT TO:<bob@far.example>").startsWith("250"));
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command(MESSAGE + ".");
            assertTrue(r.startsWith("250"), r);
            c.command("QUIT");
        }
    }

    /** The SMTP client's check lines, without the queue ID: "replace: header ...", "warning: unsupported ...". */
    private static List<String> checkLines(String log, String tag) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(Pattern.quote(tag) + "\\[\\d+\\]: (?:[0-9A-Z]+: )?((?:replace|prepend|info|strip|warning): .*"
                + "|warning: unsupported command .*)").matcher(log);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void posternSendsAndLogsWhatPostfixsSmtpClientDoes() throws Exception {
        Map<String, String> tables = tables();
        String postfixData;
        List<String> postfixLog;
        try (RecordingSink sink = RecordingSink.start()) {
            Map<String, String> main = new LinkedHashMap<>(tables);
            main.put("myhostname", "postfix.test");
            main.put("relayhost", "[127.0.0.1]:" + sink.port());
            try (PostfixInstance pf = PostfixInstance.start(dir.resolve("postfix"), main)) {
                send(new InetSocketAddress("127.0.0.1", pf.smtpPort()));
                RecordingSink.Message m = sink.take(60);
                assertNotNull(m, "Postfix relayed the message: " + pf.log());
                postfixData = m.data();
                String log = pf.awaitLog("postfix/smtp\\[\\d+\\]: [0-9A-Z]+: to=<bob@far\\.example>.*status=sent",
                        Duration.ofSeconds(30));
                postfixLog = checkLines(log, "postfix/smtp");
            }
        }

        Path pn = Files.createDirectories(dir.resolve("postern"));
        try (RecordingSink sink = RecordingSink.start()) {
            StringBuilder main = new StringBuilder("compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\nmydestination =\n"
                    + "smtpd_relay_restrictions = permit_mynetworks, reject\nmyhostname = postern.test\n"
                    + "queue_directory = " + pn.resolve("queue") + "\nmaillog_file = " + pn.resolve("maillog") + "\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\nsmtp_tls_security_level = none\n");
            tables.forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(pn.resolve("main.cf"), main);
            Files.writeString(pn.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            try (Server server = Server.start(Server.plan(pn), null)) {
                send(server.addresses().get(0));
                RecordingSink.Message m = sink.take(30);
                assertNotNull(m, "Postern relayed the message");
                String log = MailLogFile.await(pn.resolve("maillog"), "postern/smtp\\[\\d+\\]: [0-9A-Z]+: to=<bob@far\\.example>"
                        + ".*status=sent", Duration.ofSeconds(30));
                assertEquals(postfixData, m.data(), "what the next hop receives");
                assertEquals(postfixLog, checkLines(log, "postern/smtp"), "the SMTP client's log lines");
            }
        }
        assertTrue(postfixData.contains("Subject: [redacted]") && postfixLog.size() >= 8, "the checks acted: " + postfixLog);
    }
}

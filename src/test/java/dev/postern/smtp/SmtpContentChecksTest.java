package dev.postern.smtp;

import dev.postern.checks.ContentChecks;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks and smtp_body_checks, read
 * from a main.cf as the server reads them, against a scripted next hop: the bytes on the wire
 * (dot-stuffing applied after the checks), SIZE= (the queued size, as Postfix), the log lines
 * (smtp_hbc_logger), the unsupported actions, which header table sees which header, a table that
 * cannot answer (Postfix's local data error), and no inspection at all without a table.
 */
class SmtpContentChecksTest {
    @TempDir
    Path dir;
    ScriptedSmtpServer server;
    final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() throws Exception {
        server = new ScriptedSmtpServer();
        server.offerStartTls = false;
        server.offerSize = true;
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private Path table(String name, String... rules) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, List.of(rules));
        return p;
    }

    /** The SMTP client main.cf gives, with {@code extra} lines. */
    private SmtpDeliveryAgent agent(String extra) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = desktop.example\nsmtp_tls_security_level = none\n" + extra);
        Files.writeString(dir.resolve("master.cf"), "");
        return new SmtpDeliveryAgent(SmtpClientSettings.from(ConfigLoader.load(dir).config()),
                new MailLog(logBytes, "desktop", "postern"));
    }

    private DeliveryRequest request(String content) {
        return SmtpDeliveryAgentTest.request("[127.0.0.1]:" + server.port(), content, "you@example.org");
    }

    private String log() {
        return logBytes.toString(StandardCharsets.UTF_8);
    }

    /** The log's lines after "desktop ", in order. */
    private List<String> logLines() {
        return log().lines().map(l -> l.substring(l.indexOf(" desktop ") + " desktop ".length())).toList();
    }

    private String wire() {
        assertEquals(1, server.rawData.size());
        return new String(server.rawData.get(0), StandardCharsets.ISO_8859_1);
    }

    private static final String DESKTOP_MESSAGE = "Received: from desktop.home (desktop.home [192.168.1.20])\r\n"
            + "\tby mx.home (Postfix) with ESMTP id 4F1A2\r\n"
            + "Received: from gw.example (gw.example [203.0.113.5])\r\n"
            + "X-Originating-IP: [192.168.1.20]\r\n"
            + "Subject: secret plans\r\n"
            + "X-Mailer: Desktop 1.0\r\n"
            + "X-Hold: yes\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: text/plain\r\n"
            + "\r\n"
            + "first line\r\n"
            + "password: hunter2\r\n"
            + ".starts with a dot\r\n"
            + "last line\r\n";

    @Test
    void theChecksChangeWhatIsSentAndLogAsPostfixsSmtpClient() throws Exception {
        Path h = table("smtp_header_checks",
                "/^Received:.*192\\.168\\./ IGNORE",
                "/^X-Originating-IP:/ IGNORE",
                "/^Subject: secret/ REPLACE Subject: [redacted]",
                "/^X-Mailer:/ PREPEND X-Relayed-By: desktop",
                "/^X-Hold:/ HOLD",
                "/^MIME-Version:/ IGNORE");
        Path b = table("smtp_body_checks",
                "/^first line$/ WARN first seen",
                "/^password: / REPLACE password: [removed]",
                "/^last line$/ PREPEND .prepended line");
        DeliveryRequest req = request(DESKTOP_MESSAGE);
        try (SmtpDeliveryAgent a = agent("smtp_header_checks = regexp:" + h + "\nsmtp_body_checks = regexp:" + b + "\n")) {
            RecipientResult r = a.deliver(req).get(0);
            assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        }
        assertEquals("Received: from gw.example (gw.example [203.0.113.5])\r\n"
                + "Subject: [redacted]\r\n"
                + "X-Relayed-By: desktop\r\n"
                + "X-Mailer: Desktop 1.0\r\n"
                + "X-Hold: yes\r\n"
                + "MIME-Version: 1.0\r\n" // a MIME header: smtp_mime_header_checks' (empty), never smtp_header_checks'
                + "Content-Type: text/plain\r\n"
                + "\r\n"
                + "first line\r\n"
                + "password: [removed]\r\n"
                + "..starts with a dot\r\n"
                + "..prepended line\r\n" // dot-stuffed after the check added it
                + "last line\r\n"
                + ".\r\n", wire());
        assertTrue(server.commands.contains("MAIL FROM:<me@my.domain.example> SIZE=" + DESKTOP_MESSAGE.length()),
                "SIZE= is the queued size, as Postfix's request->data_size: " + server.commands);
        String q = req.queueId().toString();
        assertEquals(List.of(
                "postern/smtp[" + pid() + "]: " + q + ": replace: header Subject: secret plans: Subject: [redacted]",
                "postern/smtp[" + pid() + "]: " + q + ": prepend: header X-Mailer: Desktop 1.0: X-Relayed-By: desktop",
                "postern/smtp[" + pid() + "]: warning: unsupported command in smtp_header_checks map: HOLD",
                "postern/smtp[" + pid() + "]: " + q + ": warning: body first line: first seen",
                "postern/smtp[" + pid() + "]: " + q + ": replace: body password: hunter2: password: [removed]",
                "postern/smtp[" + pid() + "]: " + q + ": prepend: body last line: .prepended line"), logLines());
    }

    private static long pid() {
        return ProcessHandle.current().pid();
    }

    @Test
    void messageActionsAreUnsupportedAndTheFoldedHeaderIsLoggedPrintable() throws Exception {
        Path h = table("smtp_header_checks",
                "/^X-Reject:/ REJECT 5.7.1 not here",
                "/^X-Redirect:/ REDIRECT other@example.org",
                "/^X-Discard:/ DISCARD",
                "/^X-Frob:/ FROB",
                "/^X-Folded:/ INFO folded",
                "/^X-Long:/ STRIP");
        String longValue = "v".repeat(300);
        String content = "X-Reject: 1\r\nX-Redirect: 1\r\nX-Discard: 1\r\nX-Frob: 1\r\nX-Folded: a\r\n\tb\r\n"
                + "X-Long: " + longValue + "\r\nSubject: s\r\n\r\nbody\r\n";
        DeliveryRequest req = request(content);
        try (SmtpDeliveryAgent a = agent("smtp_header_checks = regexp:" + h + "\n")) {
            RecipientResult r = a.deliver(req).get(0);
            assertInstanceOf(RecipientResult.Sent.class, r, r.toString());
        }
        assertEquals("X-Reject: 1\r\nX-Redirect: 1\r\nX-Discard: 1\r\nX-Frob: 1\r\nX-Folded: a\r\n\tb\r\nSubject: s\r\n\r\n"
                + "body\r\n.\r\n", wire());
        String q = req.queueId().toString();
        String tag = "postern/smtp[" + pid() + "]: ";
        assertEquals(List.of(
                tag + "warning: unsupported command in smtp_header_checks map: REJECT 5.7.1 not here",
                tag + "warning: unsupported command in smtp_header_checks map: REDIRECT other@example.org",
                tag + "warning: unsupported command in smtp_header_checks map: DISCARD",
                tag + "warning: unsupported command in smtp_header_checks map: FROB",
                tag + q + ": info: header X-Folded: a??b: folded",
                tag + q + ": strip: header " + ("X-Long: " + longValue).substring(0, 200)), logLines());
    }

    /** With disable_mime_input_processing = yes too: it is cleanup's; Postfix's smtp follows MIME whenever a table is set. */
    @Test
    void eachHeaderClassHasItsOwnTable() throws Exception {
        Path h = table("smtp_header_checks", "/^Content-Type:/ REPLACE X-Seen-By: smtp_header_checks",
                "/^Subject:/ REPLACE Subject: primary");
        Path m = table("smtp_mime_header_checks", "/^Content-Type: application\\/x-msdownload/ REPLACE Content-Type: text/plain");
        Path n = table("smtp_nested_header_checks", "/^Subject:/ REPLACE Subject: nested");
        String content = "Subject: outer\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
                + "\r\n"
                + "--b1\r\n"
                + "Content-Type: application/x-msdownload\r\n"
                + "\r\n"
                + "MZ\r\n"
                + "--b1\r\n"
                + "Content-Type: message/rfc822\r\n"
                + "\r\n"
                + "Subject: inner\r\n"
                + "\r\n"
                + "inner body\r\n"
                + "--b1--\r\n";
        String expected = content.replace("Subject: outer", "Subject: primary")
                .replace("application/x-msdownload", "text/plain").replace("Subject: inner", "Subject: nested");
        try (SmtpDeliveryAgent a = agent("smtp_header_checks = regexp:" + h + "\nsmtp_mime_header_checks = regexp:" + m
                + "\nsmtp_nested_header_checks = regexp:" + n + "\ndisable_mime_input_processing = yes\n")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(content)).get(0));
        }
        assertEquals(expected + ".\r\n", wire(), "Content-Type never reaches smtp_header_checks");
    }

    /** Postfix's smtp has no body_checks_size_limit and always follows MIME when a table is set. */
    @Test
    void bodyChecksSeeTheWholeBodyAcrossReadChunks() throws Exception {
        Path b = table("smtp_body_checks", "/^FAR AWAY$/ REPLACE found", "/^x{952}$/ REPLACE z");
        String filler = ("0123456789".repeat(7) + "\r\n").repeat(2000); // 144 KB: several reads of the queue file
        String longLine = "y".repeat(2048) + "x".repeat(952) + "\r\n"; // asked in pieces of line_length_limit (2048)
        String content = "Subject: big\r\n\r\n" + filler + "FAR AWAY\r\n" + longLine + filler + "end\r\n";
        try (SmtpDeliveryAgent a = agent("smtp_body_checks = regexp:" + b + "\n")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(content)).get(0));
        }
        assertEquals(content.replace("FAR AWAY", "found").replace("x".repeat(952), "z") + ".\r\n", wire());
    }

    @Test
    void aTableThatCannotAnswerDefersWithALocalDataError() throws Exception {
        DeliveryRequest req = request("Subject: s\r\n\r\nbody\r\n");
        List<RecipientResult> r;
        try (SmtpDeliveryAgent a = agent("smtp_body_checks = hash:" + dir.resolve("not-made-yet") + "\n")) {
            r = a.deliver(req);
        }
        RecipientResult.Deferred d = assertInstanceOf(RecipientResult.Deferred.class, r.get(0), r.toString());
        assertEquals("4.3.0", d.dsn());
        assertEquals("local data error while talking to 127.0.0.1[127.0.0.1]", d.diagnostic());
        assertTrue(log().contains("postern/smtp[" + pid() + "]: warning: " + req.queueId() + ": smtp body checks lookup error\n"),
                log());
        assertFalse(server.commands.contains("QUIT"), "no QUIT in the middle of DATA: " + server.commands);
        assertTrue(server.rawData.stream().noneMatch(raw -> new String(raw, StandardCharsets.ISO_8859_1).endsWith("\r\n.\r\n")),
                "the message never ends: the next hop cannot take it");
    }

    @Test
    void withoutATableTheQueueFileStreamIsSentItself() throws Exception {
        InputStream in = new ByteArrayInputStream(new byte[0]);
        assertSame(in, CheckedContent.wrap(in, ContentChecks.NONE, QueueId.next(), new MailLog(logBytes, "d", "postern")));
        try (SmtpDeliveryAgent a = agent("")) {
            assertInstanceOf(RecipientResult.Sent.class, a.deliver(request(DESKTOP_MESSAGE)).get(0));
        }
        assertEquals(DESKTOP_MESSAGE.replace("\r\n.starts", "\r\n..starts") + ".\r\n", wire());
    }

    @Test
    void checkRefusesABadLineNamingTheTableAndWarnsAboutOneNotMadeYet() throws Exception {
        Path bad = table("smtp_header_checks", "/^Subject:/ IGNORE", "/unclosed(/ IGNORE");
        Files.writeString(dir.resolve("main.cf"), "smtp_tls_security_level = none\nsmtp_header_checks = regexp:" + bad + "\n");
        Files.writeString(dir.resolve("master.cf"), "");
        ConfigException e = assertThrows(ConfigException.class, () -> SmtpDeliveryAgent.validate(ConfigLoader.load(dir).config()));
        assertTrue(e.getMessage().contains("smtp_header_checks") && e.getMessage().contains(bad + ":2: bad regular expression"),
                e.getMessage());
        assertTrue(e.getMessage().startsWith("main.cf:2"), e.getMessage());

        Files.writeString(dir.resolve("main.cf"), "smtp_tls_security_level = none\nsmtp_body_checks = hash:"
                + dir.resolve("not-made-yet") + "\n");
        List<String> warnings = SmtpDeliveryAgent.validate(ConfigLoader.load(dir).config());
        assertEquals(1, warnings.size(), warnings.toString());
        Matcher w = Pattern.compile("smtp_body_checks: .*not-made-yet.*; mail that needs this table is deferred until it can be read")
                .matcher(warnings.get(0));
        assertTrue(w.matches(), warnings.get(0));
    }
}

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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtp_header_checks and smtp_body_checks end to end: the real server on loopback relaying to
 * recording next hops. The seed's desktop MTA strips its LAN's Received and X-Originating-IP
 * headers before relaying (IGNORE, not logged), REPLACE and a body
 * check, an unsupported action warned about and the header sent, a master.cf transport's own
 * {@code -o smtp_header_checks} (logged under its syslog_name), tables put in service by a reload,
 * and check and start refusing a table with a bad line, naming it.
 */
class SmtpHeaderChecksTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String FROM = "alice@client.example";
    /** What the desktop's own MTA and mail program put in: the LAN's address in two places. */
    private static final String DESKTOP_HEADERS = "Received: from desktop.home (desktop.home [192.168.1.20])\r\n"
            + "\tby gw.home (Postfix) with ESMTP id 4F1A2\r\n"
            + "X-Originating-IP: [192.168.1.20]\r\n"
            + "Subject: secret plans\r\n"
            + "X-Hold: yes\r\n"
            + "X-Internal: isp only\r\n";

    @TempDir
    Path dir;

    private void writeTables() throws Exception {
        Files.writeString(dir.resolve("smtp_header_checks"), String.join("\n",
                "/^Received:.*192\\.168\\./ IGNORE",
                "/^X-Originating-IP:/ IGNORE",
                "/^Subject: secret/ REPLACE Subject: [redacted]",
                "/^X-Hold:/ HOLD",
                ""));
        Files.writeString(dir.resolve("smtp_body_checks"), "/^password: / REPLACE password: [removed]\n");
        Files.writeString(dir.resolve("isp_header_checks"), "/^X-Internal:/ IGNORE\n");
    }

    /** main.cf with {@code extra} lines, master.cf with one smtpd and {@code master} transport lines. */
    private void configure(RecordingSink sink, String extra, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n"
                + extra);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n" + master);
    }

    private String mainTables() {
        return "smtp_header_checks = regexp:" + dir.resolve("smtp_header_checks") + "\n"
                + "smtp_body_checks = regexp:" + dir.resolve("smtp_body_checks") + "\n";
    }

    /** The reply to the end of DATA. */
    private static String send(InetSocketAddress service, String headers, String body, String rcpt) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + FROM + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + rcpt + ">"), rcpt);
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command(headers + "\r\n" + body + ".");
            c.command("QUIT");
            assertTrue(r.startsWith("250 2.0.0 Ok: queued as "), r);
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    private String awaitLog(String regex) throws Exception {
        return MailLogFile.await(dir.resolve("maillog"), regex, WAIT);
    }

    private static RecordingSink.Message take(RecordingSink sink, String what) throws Exception {
        RecordingSink.Message m = sink.take(20);
        assertNotNull(m, what);
        return m;
    }

    @Test
    void theDesktopStripsItsLanHeadersBeforeRelaying() throws Exception {
        writeTables();
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, mainTables(), "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String id = send(server.addresses().get(0), DESKTOP_HEADERS, "hello\r\npassword: hunter2\r\n", "bob@far.example");
                RecordingSink.Message m = take(sink, "relayed");
                assertFalse(m.data().contains("192.168."), "no trace of the LAN: " + m.data());
                assertFalse(m.data().contains("X-Originating-IP"), m.data());
                assertTrue(m.data().startsWith("Received: from client.example (unknown [127.0.0.1])\r\n\tby mx.postern.test"),
                        "Postern's own Received header is sent: " + m.data());
                assertTrue(m.data().contains("\r\nSubject: [redacted]\r\nX-Hold: yes\r\nX-Internal: isp only\r\n"),
                        "REPLACE; HOLD is unsupported here, the header is sent: " + m.data());
                assertTrue(m.data().endsWith("\r\n\r\nhello\r\npassword: [removed]\r\n"), m.data());

                String log = awaitLog(id + ": removed");
                String smtp = "postern/smtp\\[\\d+\\]: ";
                assertTrue(Pattern.compile(smtp + id + ": replace: header Subject: secret plans: Subject: \\[redacted\\]\n")
                        .matcher(log).find(), log);
                assertTrue(Pattern.compile(smtp + "warning: unsupported command in smtp_header_checks map: HOLD\n")
                        .matcher(log).find(), log);
                assertTrue(Pattern.compile(smtp + id + ": replace: body password: hunter2: password: \\[removed\\]\n")
                        .matcher(log).find(), log);
                assertFalse(log.contains("X-Originating-IP"), "IGNORE is not logged, as in Postfix: " + log);
                assertTrue(Pattern.compile(smtp + id + ": to=<bob@far\\.example>, .*status=sent").matcher(log).find(), log);
            }
        }
    }

    /** An isp transport with {@code -o smtp_header_checks}: its mail gets that table, the rest main.cf's; main.cf's body table applies to both. */
    @Test
    void aTransportLineHasItsOwnTable() throws Exception {
        writeTables();
        try (RecordingSink sink = RecordingSink.start(); RecordingSink ispHop = RecordingSink.start()) {
            configure(sink, mainTables() + "transport_maps = inline:{ isp.example=isp:[127.0.0.1]:" + ispHop.port() + " }\n",
                    "isp unix - - n - - smtp\n"
                            + "    -o smtp_header_checks=regexp:" + dir.resolve("isp_header_checks") + "\n"
                            + "    -o syslog_name=postfix/isp\n");
            Plan plan = Server.plan(dir);
            assertTrue(plan.warnings().stream().noneMatch(w -> w.contains("smtp_header_checks")), plan.warnings().toString());
            try (Server server = Server.start(plan, null)) {
                InetSocketAddress smtpd = server.addresses().get(0);
                String viaIsp = send(smtpd, DESKTOP_HEADERS, "password: hunter2\r\n", "carol@isp.example");
                RecordingSink.Message atIsp = take(ispHop, "through isp");
                assertFalse(atIsp.data().contains("X-Internal"), atIsp.data());
                assertTrue(atIsp.data().contains("X-Originating-IP: [192.168.1.20]\r\nSubject: secret plans\r\n"),
                        "main.cf's smtp_header_checks do not apply to isp: " + atIsp.data());
                assertTrue(atIsp.data().endsWith("\r\n\r\npassword: [removed]\r\n"), "main.cf's smtp_body_checks do: " + atIsp.data());

                String viaSmtp = send(smtpd, DESKTOP_HEADERS, "text\r\n", "bob@far.example");
                RecordingSink.Message atRelayhost = take(sink, "through smtp");
                assertTrue(atRelayhost.data().contains("X-Internal: isp only"), atRelayhost.data());
                assertFalse(atRelayhost.data().contains("X-Originating-IP"), atRelayhost.data());

                String log = awaitLog(viaSmtp + ": removed");
                assertTrue(Pattern.compile(" postfix/isp/smtp\\[\\d+\\]: " + viaIsp + ": replace: body password: hunter2: "
                        + "password: \\[removed\\]\n").matcher(log).find(), "logged under the transport's syslog_name: " + log);
                assertTrue(Pattern.compile(" postern/smtp\\[\\d+\\]: " + viaSmtp + ": replace: header Subject: secret plans")
                        .matcher(log).find(), log);
                assertFalse(log.contains(viaIsp + ": replace: header"), log);
            }
        }
    }

    @Test
    void aReloadPutsNewTablesInService() throws Exception {
        writeTables();
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "", "");
            try (Server server = Server.start(Server.plan(dir), null)) {
                InetSocketAddress smtpd = server.addresses().get(0);
                send(smtpd, DESKTOP_HEADERS, "text\r\n", "bob@far.example");
                assertTrue(take(sink, "before").data().contains("X-Originating-IP"));

                configure(sink, mainTables(), "");
                server.reload(Server.plan(dir));
                send(server.addresses().get(0), DESKTOP_HEADERS, "text\r\n", "bob@far.example");
                RecordingSink.Message after = take(sink, "after the reload");
                assertFalse(after.data().contains("X-Originating-IP"), after.data());
                assertTrue(after.data().contains("Subject: [redacted]"), after.data());

                // A broken table is refused by the next reload's plan; the running tables stay in use.
                Files.writeString(dir.resolve("smtp_body_checks"), "/^password: / REPLACE password: [removed]\n/broken(/ IGNORE\n");
                ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
                assertTrue(e.getMessage().contains("smtp_body_checks") && e.getMessage().contains("smtp_body_checks:2:"),
                        e.getMessage());
                send(server.addresses().get(0), "Subject: s\r\n", "password: hunter2\r\n", "bob@far.example");
                assertTrue(take(sink, "after the edit").data().endsWith("\r\npassword: [removed]\r\n"),
                        "the table's last good contents stay in use");
            }
        }
    }

    @Test
    void checkAndStartRefuseATableWithABadLineNamingIt() throws Exception {
        writeTables();
        Path bad = dir.resolve("bad_checks");
        Files.writeString(bad, "/^Subject:/ IGNORE\n/unclosed(/ IGNORE\n");
        try (RecordingSink sink = RecordingSink.start()) {
            configure(sink, "smtp_header_checks = regexp:" + bad + "\n", "");
            ConfigException e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("main.cf:11: SMTP client: smtp_header_checks: ")
                    && e.getMessage().contains(bad + ":2: bad regular expression"), e.getMessage());

            configure(sink, "", "isp unix - - n - - smtp\n    -o smtp_body_checks=regexp:" + bad + "\n");
            e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().startsWith("master.cf:2: transport isp: SMTP client: smtp_body_checks: ")
                    && e.getMessage().contains(bad + ":2: bad regular expression"), e.getMessage());

            configure(sink, "smtp_mime_header_checks = regexp:" + dir.resolve("missing") + "\n", "");
            e = assertThrows(ConfigException.class, () -> Server.plan(dir));
            assertTrue(e.getMessage().contains("smtp_mime_header_checks") && e.getMessage().contains("missing"), e.getMessage());

            configure(sink, "smtp_body_checks = hash:" + dir.resolve("not-made-yet") + "\n", "");
            List<String> warnings = Server.plan(dir).warnings();
            assertTrue(warnings.stream().anyMatch(w -> w.startsWith("smtp_body_checks: ") && w.endsWith(
                    "; mail that needs this table is deferred until it can be read")), warnings.toString());
        }
    }
}

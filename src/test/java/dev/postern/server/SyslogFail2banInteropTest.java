package dev.postern.server;

import dev.postern.testing.Peers;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.SyslogReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon's log through syslog, as a Postfix administrator's tools read it: Postern started
 * without maillog_file and without a foreground stream sends its records to the syslog socket
 * (here a test's own, in place of /dev/log); the records are written out as rsyslog's default
 * file format does (time, host, then the message) and Debian's fail2ban reads them with its
 * stock postfix filter. With syslog_name = postfix the filter works unchanged; with Postern's
 * default name it needs the one-line postfix.local that the README gives.
 */
class SyslogFail2banInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Path FILTERS = Path.of("/etc/fail2ban/filter.d");
    /** imuxsock's message as RSYSLOG_TraditionalFileFormat writes it: the PRI goes, the host comes in. */
    private static final Pattern DATAGRAM = Pattern.compile("<(\\d+)>([A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d) (.*)", Pattern.DOTALL);

    @Test
    void fail2bansPostfixFilterMatchesPosternRejectsReadFromSyslog(@TempDir Path dir) throws Exception {
        Peers.require("fail2ban-regex", "fail2ban");
        List<String> records;
        try (SyslogReceiver rsyslog = SyslogReceiver.bind(dir.resolve("log"))) {
            Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                    + "mydestination = mx.postern.test\n"
                    + "mynetworks = 192.0.2.0/24\n"
                    + "queue_directory = " + dir.resolve("queue") + "\n"
                    + "syslog_name = postfix\n"
                    + "postern_syslog_socket = " + rsyslog.path() + "\n"
                    + "smtpd_recipient_restrictions = reject_unauth_destination\n"
                    + "smtpd_hard_error_limit = 2\n"
                    + "smtpd_soft_error_limit = 10\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            try (Server server = Server.start(Server.plan(dir), null)) {
                try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
                    assertTrue(c.reply().startsWith("220"));
                    assertTrue(c.command("EHLO client.example").startsWith("250"));
                    assertTrue(c.command("MAIL FROM:<a@b.example>").startsWith("250"));
                    // An unauthorised relay attempt: what a Postern without a trusted client certificate answers too.
                    String reply = c.command("RCPT TO:<x@elsewhere.example>");
                    assertTrue(reply.startsWith("554 5.7.1"), reply);
                    for (int i = 0; i < 5 && !reply.startsWith("421"); i++) {
                        reply = c.command("RCPT TO:<y" + i + "@elsewhere.example>");
                    }
                    assertTrue(reply.startsWith("421"), reply);
                }
                try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
                    assertTrue(c.reply().startsWith("220"));
                    assertTrue(c.command("EHLO client.example").startsWith("250"));
                } // gone without QUIT
                rsyslog.await("^<22>.* postfix/smtpd\\[\\d+\\]: NOQUEUE: reject: RCPT from localhost\\[127\\.0\\.0\\.1\\]: 554 5\\.7\\.1 ", WAIT);
                rsyslog.await("^<22>.* postfix/smtpd\\[\\d+\\]: too many errors after RCPT from localhost\\[127\\.0\\.0\\.1\\]$", WAIT);
                rsyslog.await("^<22>.* postfix/smtpd\\[\\d+\\]: lost connection after EHLO from localhost\\[127\\.0\\.0\\.1\\]$", WAIT);
            }
            records = rsyslog.messages();
        }
        StringBuilder mailLog = new StringBuilder();
        for (String m : records) {
            Matcher d = DATAGRAM.matcher(m);
            assertTrue(d.matches(), m);
            assertFalse(m.endsWith("\n"), "no newline in a datagram: " + m);
            mailLog.append(d.group(2)).append(" mx.postern.test ").append(d.group(3)).append('\n');
        }
        Path maillog = dir.resolve("mail.log");
        Files.writeString(maillog, mailLog);

        // Stock filter, default mode: the relay reject and the error limit ban the client's address.
        Fail2ban stock = fail2ban(maillog, FILTERS.resolve("postfix.conf").toString());
        assertTrue(stock.matched >= 2, stock.output);
        for (String missed : stock.missed) {
            assertFalse(missed.contains("reject:") || missed.contains("too many errors"), "missed by fail2ban: " + missed);
        }
        // Aggressive mode also counts clients that hang up after EHLO (postscreen-style ddos rules).
        Fail2ban aggressive = fail2ban(maillog, "postfix[mode=aggressive]");
        assertTrue(aggressive.matched > stock.matched, aggressive.output);

        // With Postern's default syslog_name the stock filter sees nothing; the README's postfix.local fixes it.
        Path posternLog = dir.resolve("mail-postern.log");
        Files.writeString(posternLog, mailLog.toString().replace(" postfix/", " postern/"));
        Path filters = Files.createDirectories(dir.resolve("fail2ban/filter.d"));
        Files.copy(FILTERS.resolve("postfix.conf"), filters.resolve("postfix.conf"));
        Files.copy(FILTERS.resolve("common.conf"), filters.resolve("common.conf"));
        assertEquals(0, fail2ban(posternLog, filters.resolve("postfix.conf").toString()).matched);
        Files.writeString(filters.resolve("postfix.local"), "[Definition]\n_daemon = postern(-\\w+)?/\\w+(?:/smtp[ds])?\n");
        assertEquals(stock.matched, fail2ban(posternLog, filters.resolve("postfix.conf").toString()).matched);
    }

    private record Fail2ban(int matched, List<String> missed, String output) {
    }

    private static Fail2ban fail2ban(Path log, String filter) throws Exception {
        Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("fail2ban-regex", "--print-all-missed", log.toString(), filter));
        assertEquals(0, r.exit(), r.out() + r.err());
        Matcher lines = Pattern.compile("Lines: (\\d+) lines, (\\d+) ignored, (\\d+) matched, (\\d+) missed").matcher(r.out());
        assertTrue(lines.find(), r.out());
        List<String> missed = r.out().lines().filter(l -> l.startsWith("|  ") && l.contains(" mx.postern.test ")).toList();
        return new Fail2ban(Integer.parseInt(lines.group(3)), missed, r.out());
    }
}

package dev.postern.server;

import dev.postern.testing.Peers;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole path a Debian administrator has: Postern (no maillog_file) → the syslog socket →
 * a real rsyslogd (private instance: its own socket, config and output file) writing
 * {@code mail.*} in its traditional file format, as Debian's rsyslog.conf does for
 * /var/log/mail.log → pflogsumm and fail2ban reading that file, unchanged.
 */
class RsyslogInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void mailLogWrittenByRsyslogIsReadByPflogsummAndFail2ban(@TempDir Path dir) throws Exception {
        Peers.require("rsyslogd", "rsyslog");
        Peers.require("pflogsumm", "pflogsumm");
        Peers.require("fail2ban-regex", "fail2ban");
        Path socket = dir.resolve("log");
        Path mailLog = dir.resolve("mail.log");
        Files.writeString(dir.resolve("rsyslog.conf"), "global(workDirectory=\"" + dir + "\")\n"
                + "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
                + "input(type=\"imuxsock\" Socket=\"" + socket + "\")\n"
                + "mail.* action(type=\"omfile\" file=\"" + mailLog + "\" template=\"RSYSLOG_TraditionalFileFormat\")\n");
        Process rsyslogd = new ProcessBuilder(Files.isExecutable(Path.of("/usr/sbin/rsyslogd")) ? "/usr/sbin/rsyslogd" : "rsyslogd",
                "-n", "-f", dir.resolve("rsyslog.conf").toString(), "-i", dir.resolve("rsyslogd.pid").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("rsyslogd.out").toFile()).start();
        try (RecordingSink sink = RecordingSink.start()) {
            awaitFile(socket, rsyslogd, dir);
            Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                    + "mydestination = mx.postern.test\n"
                    + "mynetworks = 192.0.2.0/24\n"
                    + "relay_domains = elsewhere.example\n"
                    + "queue_directory = " + dir.resolve("queue") + "\n"
                    + "syslog_name = postfix\n"
                    + "postern_syslog_socket = " + socket + "\n"
                    + "smtpd_recipient_restrictions = reject_unauth_destination\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                    + "smtp_tls_security_level = none\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            try (Server server = Server.start(Server.plan(dir), null);
                 SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO client.example");
                c.command("MAIL FROM:<a@client.example>");
                assertTrue(c.command("RCPT TO:<nope@other.example>").startsWith("554 5.7.1"));
                assertTrue(c.command("RCPT TO:<x@elsewhere.example>").startsWith("250"));
                c.command("DATA");
                String queued = c.command("Subject: via rsyslog\r\n\r\nhello\r\n.");
                assertTrue(queued.startsWith("250"), queued);
                c.command("QUIT");
                String id = queued.substring(queued.lastIndexOf(' ') + 1);
                awaitLine(mailLog, " postfix/qmgr\\[\\d+\\]: " + id + ": removed$");
            }
        } finally {
            rsyslogd.destroy();
            rsyslogd.waitFor();
        }
        String log = Files.readString(mailLog);
        // rsyslog's traditional format: "Mmm dd HH:MM:SS host program[pid]: text", nothing of Postern's own.
        for (String line : log.lines().toList()) {
            assertTrue(line.matches("[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d \\S+ postfix/[a-z]+\\[\\d+\\]: .+"), line);
        }
        Peers.Result summary = Peers.run(Duration.ofSeconds(60), null, List.of("pflogsumm", mailLog.toString()));
        assertEquals(0, summary.exit(), summary.err());
        assertEquals(1, count(summary.out(), "received"), summary.out());
        assertEquals(1, count(summary.out(), "delivered"), summary.out());
        assertEquals(1, count(summary.out(), "rejected"), summary.out());
        Peers.Result ban = Peers.run(Duration.ofSeconds(60), null, List.of("fail2ban-regex", mailLog.toString(),
                "/etc/fail2ban/filter.d/postfix.conf"));
        assertEquals(0, ban.exit(), ban.err());
        assertTrue(ban.out().matches("(?s).*Lines: \\d+ lines, 0 ignored, 1 matched, \\d+ missed.*"), ban.out());
    }

    /** pflogsumm's grand totals: "   1   received". */
    private static long count(String summary, String what) {
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+" + what + "\\b").matcher(summary);
        assertTrue(m.find(), what + " missing in:\n" + summary);
        return Long.parseLong(m.group(1));
    }

    private static void awaitFile(Path socket, Process rsyslogd, Path dir) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!Files.exists(socket)) {
            assertTrue(rsyslogd.isAlive(), "rsyslogd exited: " + Files.readString(dir.resolve("rsyslogd.out")));
            assertTrue(System.nanoTime() < deadline, "rsyslogd never created " + socket);
            Thread.sleep(20);
        }
    }

    private static void awaitLine(Path file, String regex) throws Exception {
        Pattern p = Pattern.compile(regex, Pattern.MULTILINE);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!Files.exists(file) || !p.matcher(Files.readString(file)).find()) {
            assertTrue(System.nanoTime() < deadline, "no /" + regex + "/ in " + file + ":\n"
                    + (Files.exists(file) ? Files.readString(file) : "(none)"));
            Thread.sleep(50);
        }
    }
}

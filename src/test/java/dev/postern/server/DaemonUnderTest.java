package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A config directory for a Postern run as a separate process (start-fg), with the CLI commands a
 * user would run against it ({@code reload}, {@code stop}) and a certificate client that sends one
 * message over STARTTLS.
 */
final class DaemonUnderTest {
    final Path dir;
    final TestPki pki;
    final RecordingSink sink;
    final Path mailLog;

    record Run(int code, String out, String err) {
    }

    DaemonUnderTest(Path dir) throws Exception {
        this.dir = dir;
        this.pki = TestPki.create(dir.resolve("pki"));
        this.sink = RecordingSink.start();
        this.mailLog = dir.resolve("maillog");
    }

    String mainCf(String extra) {
        return TestMta.seedMainCf(dir, pki)
                + "myhostname = mx.postern.test\n"
                + "mynetworks = 192.0.2.0/24\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "data_directory = " + dir.resolve("data") + "\n"
                + "maillog_file = " + mailLog + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n"
                + extra;
    }

    void write(String extraMain, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), mainCf(extraMain));
        Files.writeString(dir.resolve("master.cf"), master);
    }

    Run postern(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 2];
        all[0] = "-c";
        all[1] = dir.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all);
        return new Run(code, out.toString(), err.toString());
    }

    String log() throws Exception {
        return MailLogFile.read(mailLog);
    }

    String awaitLog(String regex, Duration timeout) throws Exception {
        return MailLogFile.await(mailLog, regex, timeout);
    }

    /** Waits until {@code text} occurs at least {@code n} times in the mail log. */
    void awaitCount(String text, int n, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int found = 0;
        while (System.nanoTime() < deadline) {
            found = log().split(Pattern.quote(text), -1).length - 1;
            if (found >= n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("\"" + text + "\" " + found + " times in the mail log, expected " + n + ":\n" + log());
    }

    /** Every "listening on" port the log names after {@code marker} (start or a reload), in order. */
    List<Integer> ports(String regex) throws Exception {
        Matcher m = Pattern.compile(regex).matcher(log());
        List<Integer> ports = new ArrayList<>();
        while (m.find()) {
            ports.add(Integer.parseInt(m.group(1)));
        }
        return ports;
    }

    /** One message over STARTTLS with the good client certificate; the final reply. */
    String send(InetSocketAddress at, String rcpt) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(at)) {
            expect(c.reply(), "220 ");
            expect(c.command("EHLO client.postern.test"), "250");
            expect(c.command("STARTTLS"), "220 ");
            TestPki.Client cert = pki.goodClient();
            c.startTls(pki.caCertificate(), cert.certificate(), cert.key());
            expect(c.command("EHLO client.postern.test"), "250");
            expect(c.command("MAIL FROM:<load@client.postern.test>"), "250 ");
            expect(c.command("RCPT TO:<" + rcpt + ">"), "250 ");
            expect(c.command("DATA"), "354 ");
            String done = c.command("Subject: reload load\r\n\r\nbody\r\n.");
            expect(done, "250 ");
            c.command("QUIT");
            return done;
        }
    }

    static void expect(String reply, String prefix) {
        if (!reply.startsWith(prefix)) {
            throw new AssertionError("expected " + prefix + "..., got " + reply);
        }
    }
}

package dev.postern.smtpd;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Python's smtplib (a client nobody here wrote) against hidden keywords: {@code has_extn()} sees
 * what smtpd_discard_ehlo_keywords and the address table leave, a NOTIFY it sends anyway is
 * refused with Postfix's reply, and mail without it goes through.
 */
class DiscardEhloInteropTest {
    @TempDir
    Path dir;

    private static final String SCRIPT = String.join("\n",
            "import smtplib, sys",
            "for source in ('127.0.0.1', '127.0.0.2'):",
            "    s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='python.example', timeout=30,",
            "                     source_address=(source, 0))",
            "    s.ehlo()",
            "    print(source, 'dsn=%s pipelining=%s 8bitmime=%s' % (s.has_extn('dsn'), s.has_extn('pipelining'),",
            "                                                      s.has_extn('8bitmime')))",
            "    try:",
            "        s.sendmail('a@example.org', ['b@example.org'], 'Subject: x\\r\\n\\r\\nbody\\r\\n',",
            "                   rcpt_options=['NOTIFY=SUCCESS'])",
            "        print(source, 'notify accepted')",
            "    except smtplib.SMTPRecipientsRefused as e:",
            "        s.rset()",
            "        print(source, 'notify refused', e.recipients['b@example.org'])",
            "    print(source, 'plain refused', s.sendmail('a@example.org', ['b@example.org'], 'Subject: y\\r\\n\\r\\nbody\\r\\n'))",
            "    s.quit()",
            "");

    @Test
    void pythonSmtplibSeesOnlyWhatIsOffered() throws Exception {
        Peers.require("python3", "python3");
        Path table = dir.resolve("ehlo.cidr");
        Files.writeString(table, "127.0.0.2/32 8bitmime\n");
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (SmtpdHarness h = new SmtpdHarness(dir, "smtpd_peername_lookup = no\nsmtpd_discard_ehlo_keywords = dsn, pipelining\n"
                + "smtpd_discard_ehlo_keyword_address_maps = cidr:" + table + "\n", io)) {
            Peers.Result r = Peers.run(Duration.ofSeconds(60), SCRIPT,
                    List.of("python3", "-", Integer.toString(h.address().getPort())));
            assertEquals(0, r.exit(), r.out() + r.err());
            assertEquals(List.of(
                    "127.0.0.1 dsn=False pipelining=False 8bitmime=True",
                    "127.0.0.1 notify refused (501, b'5.7.1 DSN support is disabled')",
                    "127.0.0.1 plain refused {}",
                    "127.0.0.2 dsn=True pipelining=True 8bitmime=False",
                    "127.0.0.2 notify accepted",
                    "127.0.0.2 plain refused {}"), r.out().lines().toList(), r.err());
        } finally {
            io.shutdownNow();
        }
    }
}

package dev.postern.server;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sendmail -bs} driven by SMTP clients nobody here wrote, over the process's stdin and
 * stdout: Python's smtplib (on a socketpair handed to the child as fds 0 and 1) and swaks --pipe.
 * The message is queued only at the final dot, and the real server delivers it.
 */
class SendmailSmtpModeTest {
    @TempDir
    Path dir;

    /** smtplib on a socketpair; the child inherits one end as its stdin and stdout. */
    private static final String PYTHON = String.join("\n",
            "import smtplib, socket, subprocess, sys",
            "a, b = socket.socketpair()",
            "p = subprocess.Popen(sys.argv[1:], stdin=b, stdout=b)",
            "b.close()",
            "class PipeSMTP(smtplib.SMTP):",
            "    def _get_socket(self, host, port, timeout):",
            "        return a",
            "s = PipeSMTP(timeout=60)",
            "print('greeting', s.connect('sendmail-bs', 25))",
            "print('ehlo', s.ehlo('client.test')[0])",
            "print('pipelining', s.has_extn('pipelining'))",
            "print('mail', s.mail('py-sender'))",
            "print('rcpt', s.rcpt('bob@remote.test'))",
            "print('rcpt-bad', s.rcpt('a@@b'))",
            "print('data', s.data(b'Subject: via smtplib\\r\\n\\r\\nhello from python\\r\\n.leading dot\\r\\n'))",
            "print('quit', s.quit())",
            "print('exit', p.wait(60))",
            "");

    @Test
    void pythonSmtplibDrivesSendmailBs() throws Exception {
        Peers.require("python3", "python3");
        try (TestMta mta = TestMta.start(dir, SendmailTest.ORIGIN, "")) {
            Path script = dir.resolve("bs.py");
            Files.writeString(script, PYTHON);
            List<String> cmd = new ArrayList<>(List.of("python3", script.toString()));
            cmd.addAll(LocalCommand.postern("sendmail", "-C", dir.toString(), "-bs"));
            LocalCommand.Result r = LocalCommand.run(cmd, null, Map.of());
            assertEquals(0, r.exit(), r.out() + r.err());
            String out = r.out();
            assertTrue(out.contains("greeting (220, b'mx.postern.test ESMTP Postern')"), out);
            assertTrue(out.contains("ehlo 250") && out.contains("pipelining True"), out);
            assertTrue(out.contains("mail (250, b'2.1.0 Ok')"), out);
            assertTrue(out.contains("rcpt (250, b'2.1.5 Ok')"), out);
            assertTrue(out.contains("rcpt-bad (501, b'5.1.3 <a@@b>: Bad recipient address syntax')"), out);
            assertTrue(out.matches("(?s).*data \\(250, b'2\\.0\\.0 Ok: queued as [0-9a-f.]+'\\).*"), out);
            assertTrue(out.contains("quit (221, b'2.0.0 Bye')") && out.contains("exit 0"), out);
            RecordingSink.Message m = mta.sink.take(30);
            assertNotNull(m, "delivered");
            assertEquals("<py-sender@origin.test>", m.mailFrom());
            assertEquals(List.of("<bob@remote.test>"), m.rcptTo());
            assertTrue(m.data().contains("(Postern, from userid " + LocalCommand.uid() + ")"), m.data());
            assertTrue(m.data().contains("\r\nFrom: py-sender@origin.test\r\n"), m.data());
            assertTrue(m.data().endsWith("\r\n\r\nhello from python\r\n.leading dot\r\n"), "dot-unstuffed once: " + m.data());
            mta.awaitLog("postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=\\d+ from=<py-sender>", Duration.ofSeconds(10)); // as given (pickup.c)
        }
    }

    @Test
    void swaksPipeDrivesSendmailBsAndNothingIsQueuedBeforeTheDot() throws Exception {
        Peers.require("swaks", "swaks");
        SendmailTest.writeConfigBeforeStart(dir);
        String sendmailBs = String.join(" ", LocalCommand.postern("sendmail", "-C", dir.toString(), "-bs"));
        // A dialog that stops inside DATA: nothing may reach maildrop/.
        LocalCommand.Result cut = LocalCommand.run(LocalCommand.postern("sendmail", "-C", dir.toString(), "-bs"),
                "EHLO x\r\nMAIL FROM:<a@a.test>\r\nRCPT TO:<b@remote.test>\r\nDATA\r\nSubject: cut\r\n\r\nno dot\r\n", Map.of());
        assertEquals(0, cut.exit(), cut.err());
        assertTrue(cut.out().contains("354 End data with <CR><LF>.<CR><LF>"), cut.out());
        assertFalse(cut.out().contains("queued"), cut.out());
        assertEquals(List.of(), LocalCommand.maildrop(dir.resolve("queue")), "no dot, no message");

        LocalCommand.Result r = LocalCommand.run(List.of("swaks", "--pipe", sendmailBs, "--from", "swaks@client.test",
                "--to", "carol@remote.test", "--header", "Subject: via swaks", "--body", "hello from swaks"), null, Map.of());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("<-  250 2.0.0 Ok: queued as "), r.out());
        assertTrue(r.out().contains("<-  221 2.0.0 Bye"), r.out());
        assertEquals(1, LocalCommand.maildrop(dir.resolve("queue")).size(), "queued at the final dot, daemon down");

        try (TestMta mta = TestMta.start(dir, SendmailTest.ORIGIN, "")) {
            RecordingSink.Message m = mta.sink.take(60);
            assertNotNull(m, "delivered after start");
            assertEquals("<swaks@client.test>", m.mailFrom());
            assertEquals(List.of("<carol@remote.test>"), m.rcptTo());
            assertTrue(m.data().contains("Subject: via swaks") && m.data().contains("hello from swaks"), m.data());
        }
    }
}

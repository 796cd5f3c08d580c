package dev.postern.pickup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** sendmail -bs's dialog, pipelined in one write: replies in order, Postfix's texts, one maildrop file per final dot. */
class StandaloneSmtpTest {
    @TempDir
    Path dir;

    @Test
    void pipelinedDialogWithMistakes() throws Exception {
        SendmailSettings s = new SendmailSettings(dir, "mx.test", "origin.test", true, 10_000, "mx.test ESMTP Postern");
        Maildrop maildrop = new Maildrop(dir);
        String in = "DATA\r\nRCPT TO:<x@y.test>\r\nEHLO c.test\r\nMAIL FROM:<me> SIZE=100\r\nMAIL FROM:<again@x.test>\r\n"
                + "RCPT TO:<a@@b>\r\nRCPT TO:bad\r\nRCPT TO:<you>\r\nRCPT TO:<them@remote.test>\r\nDATA\r\n"
                + "Subject: t\r\n\r\n..dot\r\nbare LF\n.\r\nMAIL FROM:<> SIZE=99999\r\nVRFY x\r\nFOO\r\nRSET\r\nQUIT\r\nNOOP\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new StandaloneSmtp(s, maildrop, new ByteArrayInputStream(in.getBytes(StandardCharsets.ISO_8859_1)), out).run();
        List<String> replies = out.toString(StandardCharsets.ISO_8859_1).lines().toList();
        List<Path> files = maildrop.ready();
        assertEquals(1, files.size());
        assertEquals(List.of(
                "220 mx.test ESMTP Postern",
                "503 5.5.1 Error: need RCPT command",
                "503 5.5.1 Error: need MAIL command",
                "250-mx.test", "250-PIPELINING", "250-SIZE 7952", "250-ENHANCEDSTATUSCODES", "250 8BITMIME",
                "250 2.1.0 Ok",
                "503 5.5.1 Error: nested MAIL command",
                "501 5.1.3 <a@@b>: Bad recipient address syntax",
                "501 5.5.4 Syntax: RCPT TO:<address>",
                "250 2.1.5 Ok",
                "250 2.1.5 Ok",
                "354 End data with <CR><LF>.<CR><LF>",
                "250 2.0.0 Ok: queued as " + files.get(0).getFileName(),
                "552 5.3.4 Message size exceeds fixed limit",
                "502 5.5.1 VRFY command is disabled",
                "502 5.5.2 Error: command not recognized",
                "250 2.0.0 Ok",
                "221 2.0.0 Bye"), replies, "nothing after QUIT is answered");
        MaildropFile f = MaildropFile.decode(Files.readAllBytes(files.get(0)));
        // as given, as Postfix's postdrop keeps them: cleanup completes them (orig_to=<you>)
        assertEquals("me", f.sender());
        assertEquals(List.of("you", "them@remote.test"), f.recipients());
        assertArrayEquals("Subject: t\r\n\r\n.dot\r\nbare LF\r\n".getBytes(StandardCharsets.ISO_8859_1), f.content());
    }
}

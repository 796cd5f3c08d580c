package dev.postern.pickup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces of local submission on their own: maildrop files, stdin reading, address lists, header rewriting. */
class LocalSubmissionFormatTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void depositIsCompleteOwnerOnlyAndReadsBack() throws Exception {
        Maildrop m = new Maildrop(dir.resolve("queue"));
        MaildropFile f = new MaildropFile("alice@a.test", "Alice A", List.of("bob@b.test", "carol@c.test"),
                bytes("Subject: hi\r\n\r\nbody\r\n"));
        String name = m.deposit(f);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(m.directory())));
        Path file = m.directory().resolve(name);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of(file), m.ready(), "only the complete file, no temp file left");
        MaildropFile back = MaildropFile.decode(Files.readAllBytes(file));
        assertEquals(f.sender(), back.sender());
        assertEquals(f.fullname(), back.fullname());
        assertEquals(f.recipients(), back.recipients());
        assertArrayEquals(f.content(), back.content());
    }

    @Test
    void truncatedOrForeignFilesAreRefusedWithTheReason() {
        byte[] good = new MaildropFile("", "", List.of("bob@b.test"), bytes("x\r\n")).encode();
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
        var e = assertThrows(MaildropFile.MalformedException.class, () -> MaildropFile.decode(truncated));
        assertTrue(e.getMessage().contains("content is 2 bytes, the envelope says 3"), e.getMessage());
        e = assertThrows(MaildropFile.MalformedException.class, () -> MaildropFile.decode(bytes("From: x\n\nhello")));
        assertTrue(e.getMessage().contains("not a maildrop file"), e.getMessage());
        e = assertThrows(MaildropFile.MalformedException.class,
                () -> MaildropFile.decode(bytes("postern-maildrop 1\nsender a@b\nsize 0\n\n")));
        assertTrue(e.getMessage().contains("no recipient"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MaildropFile("a@b\nrcpt evil@x", "", List.of("b@c"), new byte[0]));
    }

    @Test
    void stdinAsSendmailReadsIt() throws Exception {
        String in = "From alice Tue Dec  1 00:00:00 2026\nSubject: x\n\nline1\r\n..two dots\n.\nafter\nlast";
        assertEquals("Subject: x\r\n\r\nline1\r\n..two dots\r\n",
                new String(SendmailInput.read(new ByteArrayInputStream(bytes(in)), true, 0), StandardCharsets.UTF_8),
                "mbox From_ line dropped, LF to CRLF, a lone dot ends input, no unstuffing");
        assertEquals("Subject: x\r\n\r\nline1\r\n..two dots\r\n.\r\nafter\r\nlast\r\n",
                new String(SendmailInput.read(new ByteArrayInputStream(bytes(in)), false, 0), StandardCharsets.UTF_8),
                "-i: the dot is content; a last line without newline gets CRLF");
        assertThrows(SendmailInput.TooBigException.class,
                () -> SendmailInput.read(new ByteArrayInputStream(bytes("0123456789\n0123456789\n")), false, 15));
    }

    @Test
    void addressListsAsInHeaders() {
        assertEquals(List.of("a@x.test", "b@y.test", "c@z.test", "d@w.test", "plain"),
                AddressList.parse("\"Doe, John\" <a@x.test>, b@y.test (Bob, the builder), team: c@z.test,"
                        + " Dee <d@w.test>;, plain"));
        assertEquals(List.of("u@d.test"), AddressList.parse("<@relay.test,@r2.test:u@d.test>"));
        assertEquals(List.of(), AddressList.parse("undisclosed-recipients:;"));
    }

    @Test
    void unqualifiedHeaderAddressesGetMyorigin() {
        assertEquals(" \"Doe, J\" <jd@origin.test>, plain@origin.test (comment), q@x.test, team: a@origin.test;\r\n",
                AddressList.qualify(" \"Doe, J\" <jd>, plain (comment), q@x.test, team: a;\r\n", "origin.test"));
        byte[] msg = bytes("From: me\r\nTo: you,\r\n Them <them>\r\nSubject: you\r\n\r\nTo: body\r\n");
        String out = new String(LocalHeaders.rewrite(msg, "me@origin.test", "", 0, "Q", "h", "Postern", "origin.test",
                ZonedDateTime.now()), StandardCharsets.UTF_8);
        assertTrue(out.endsWith("From: me@origin.test\r\nTo: you@origin.test,\r\n Them <them@origin.test>\r\n"
                + "Subject: you\r\n\r\nTo: body\r\n"), out);
    }

    @Test
    void headersForLocalMail() {
        byte[] msg = bytes("To: Bob <bob@b.test>\r\nBcc: hidden@h.test,\r\n other@h.test\r\nSubject: s\r\n\r\nBcc: in body\r\n");
        HeaderSection h = HeaderSection.parse(msg);
        assertEquals(List.of("bob@b.test", "hidden@h.test", "other@h.test"), h.extractRecipients());
        ZonedDateTime now = ZonedDateTime.of(2026, 12, 1, 12, 0, 0, 0, ZoneOffset.UTC);
        String out = new String(LocalHeaders.rewrite(msg, "alice@a.test", "Alice \"Al\" A", 1000, "QID1",
                "mx.test", "Postern", "", now), StandardCharsets.UTF_8);
        assertEquals("Received: by mx.test (Postern, from userid 1000)\r\n\tid QID1; Tue, 1 Dec 2026 12:00:00 +0000\r\n"
                + "To: Bob <bob@b.test>\r\nBcc: hidden@h.test,\r\n other@h.test\r\nSubject: s\r\n"
                + "From: \"Alice \\\"Al\\\" A\" <alice@a.test>\r\n\r\nBcc: in body\r\n", out); // cleanup drops Bcc (message_drop_headers)
        String resent = "Resent-To: r@r.test\r\nTo: t@t.test\r\n\r\n";
        assertEquals(List.of("r@r.test"), HeaderSection.parse(bytes(resent)).extractRecipients(),
                "a resent message goes to its Resent- recipients only");
        String noBlank = new String(LocalHeaders.rewrite(bytes("From: me@m.test\r\nbody line without header form\r\n"),
                "", "", 0, "Q", "h", "Postern", "", now), StandardCharsets.UTF_8);
        assertTrue(noBlank.endsWith("From: me@m.test\r\n\r\nbody line without header form\r\n"), noBlank);
        assertFalse(noBlank.contains("MAILER-DAEMON"), "an existing From is kept");
        assertEquals("MAILER-DAEMON", LocalHeaders.fromValue("", "X"));
    }
}

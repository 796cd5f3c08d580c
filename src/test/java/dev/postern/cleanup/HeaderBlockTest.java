package dev.postern.cleanup;

import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * HeaderBlock finds Message-ID and Date by trying its patterns only at line starts that begin
 * with the header name: the answers must be those of the patterns searched over the whole
 * header (the way it was done before), for ordinary, folded, look-alike and malformed headers.
 */
class HeaderBlockTest {
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^message-id:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)");
    private static final Pattern DATE = Pattern.compile("(?im)^date:");
    private static final ZonedDateTime NOW = ZonedDateTime.of(2026, 12, 2, 4, 20, 0, 0, ZoneOffset.UTC);

    @Test
    void findsWhatTheWholeHeaderPatternsFind() {
        List<String> headers = List.of(
                "Subject: a\r\nFrom: b@example.org\r\n\r\n",
                "Subject: a\r\nMessage-ID: <m1@example.org>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\n",
                "message-id:<m2@x>\r\ndate: x\r\n\r\n",
                "MESSAGE-ID:   <m3@x>\r\n\tfolded\r\nSubject: s\r\n\r\n",
                "X-Message-Id: <not@this>\r\nX-Date: no\r\nSubject: s\r\n\r\n",
                "Subject: a\rMessage-Id: <after-bare-cr@x>\r\n\r\n",
                "Subject: a\u0085Date: after NEL\r\n\r\n",
                "Subject: message-id: <inline@x> date: inline\r\n\r\n",
                "Message-Id:\r\n",
                "",
                "Date:x");
        for (String h : headers) {
            byte[] bytes = h.getBytes(StandardCharsets.ISO_8859_1);
            HeaderBlock.Fixed fixed = HeaderBlock.fix(bytes, "ABCDEF123", "mx.example.org", NOW);
            String text = new String(fixed.bytes(), StandardCharsets.ISO_8859_1);
            String head = h.endsWith("\r\n\r\n") ? h.substring(0, h.length() - 2) : h;
            var m = MESSAGE_ID.matcher(head);
            boolean hasId = m.find();
            if (hasId) {
                assertEquals(m.group(1).trim(), fixed.messageId(), h);
            }
            assertEquals(!hasId, text.contains("Message-Id: <20261202042000.ABCDEF123@mx.example.org>\r\n"), h);
            assertEquals(!DATE.matcher(head).find(), text.contains("Date: Wed, 2 Dec 2026 04:20:00 +0000\r\n"), h);
        }
    }

    /** Postfix's cleanup with Resent- headers: the Resent- forms are added and logged, in header order. */
    @Test
    void resentHeadersGetTheirResentForms() {
        String head = "Resent-Message-ID: <r@x>\r\nMessage-ID: <m@x>\r\nResent-To: a@x\r\n\r\n";
        HeaderBlock.Fixed f = HeaderBlock.fix(head.getBytes(StandardCharsets.ISO_8859_1), "ABCDEF123", "mx.example.org",
                NOW, "s@example.org", true);
        String out = new String(f.bytes(), StandardCharsets.ISO_8859_1);
        assertEquals(List.of("resent-message-id=<r@x>", "message-id=<m@x>"), f.idLines());
        assertTrue(out.startsWith(head.substring(0, head.length() - 2) + "Resent-Date: "), out);
        assertTrue(out.endsWith("\r\nResent-From: s@example.org\r\n\r\n"), out);
        assertFalse(out.contains("\r\nDate:") || out.contains("\r\nMessage-Id:"), "no plain Date or Message-Id added: " + out);

        HeaderBlock.Fixed bare = HeaderBlock.fix("Resent-From: a@x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                "ABCDEF123", "mx.example.org", NOW, "");
        assertEquals(List.of("resent-message-id=" + HeaderBlock.addedMessageId("ABCDEF123", "mx.example.org", NOW),
                "message-id=<>"), bare.idLines());
        assertEquals(null, bare.messageId());
        assertTrue(new String(bare.bytes(), StandardCharsets.ISO_8859_1).contains("Resent-Message-Id: <"), "added");

        HeaderBlock.Fixed spaced = HeaderBlock.fix("Resent-Message-ID : <r@x>\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                "ABCDEF123", "mx.example.org", NOW, "j\u00f6rg@b\u00fccher.example", true);
        String spacedOut = new String(spaced.bytes(), StandardCharsets.ISO_8859_1);
        assertEquals(List.of("resent-message-id=<r@x>", "message-id=<>"), spaced.idLines(), "\"Name :\" is the header too");
        assertFalse(spacedOut.contains("Resent-Message-Id: <"), spacedOut);
        assertTrue(new String(spaced.bytes(), StandardCharsets.UTF_8).contains("Resent-From: j\u00f6rg@b\u00fccher.example\r\n"),
                "the sender's UTF-8 bytes: " + spacedOut);

        HeaderBlock.Fixed plain = HeaderBlock.fix("Subject: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                "ABCDEF123", "mx.example.org", NOW, "");
        assertEquals(List.of("message-id=" + plain.messageId()), plain.idLines());
    }

    /**
     * Postfix's cleanup_header_done_callback() adds (Resent-)From: only when
     * {@code hdr_rewrite_context || var_always_add_hdrs}: Resent-From follows From:'s rule, while
     * Postern adds (Resent-)Message-Id and (Resent-)Date for every client.
     */
    @Test
    void resentFromIsAddedWhereFromWouldBe() {
        String resent = "Resent-To: a@x\r\nSubject: s\r\n\r\n";
        String remote = text(HeaderBlock.fix(latin1(resent), "ABCDEF123", "mx.example.org", NOW, "s@example.org", false));
        assertFalse(remote.contains("Resent-From:"), remote);
        assertTrue(remote.contains("\r\nResent-Message-Id: <20261202042000.ABCDEF123@mx.example.org>\r\n"), remote);
        assertTrue(remote.contains("\r\nResent-Date: Wed, 2 Dec 2026 04:20:00 +0000\r\n"), remote);
        assertFalse(remote.contains("\r\nFrom:"), "no plain From: for a resent message either: " + remote);

        String local = text(HeaderBlock.fix(latin1(resent), "ABCDEF123", "mx.example.org", NOW, "s@example.org", true));
        assertTrue(local.endsWith("Resent-Date: Wed, 2 Dec 2026 04:20:00 +0000\r\nResent-From: s@example.org\r\n\r\n"), local);
        assertFalse(local.contains("\r\nFrom:"), "a resent message gets Resent-From, not From: " + local);

        String bounce = text(HeaderBlock.fix(latin1(resent), "ABCDEF123", "mx.example.org", NOW, "", true));
        assertTrue(bounce.contains("\r\nResent-From: MAILER-DAEMON\r\n"), "the null sender: " + bounce);

        String has = "resent-from : r@x\r\nResent-To: a@x\r\n\r\n";
        assertEquals(1, HeaderBlock.count(text(HeaderBlock.fix(latin1(has), "ABCDEF123", "mx.example.org", NOW, "s@x", true))
                .toLowerCase(java.util.Locale.ROOT), "resent-from"), "one there: none added");

        // the five-argument form (no rewrite context): neither From: nor Resent-From:
        assertFalse(text(HeaderBlock.fix(latin1(resent), "ABCDEF123", "mx.example.org", NOW, "s@example.org")).contains("From:"));
    }

    /** The same condition for From: on a message that is not resent. */
    @Test
    void fromIsAddedOnlyWhenAsked() {
        String remote = text(HeaderBlock.fix(latin1("To: a@x\r\n\r\n"), "ABCDEF123", "mx.example.org", NOW, "s@example.org", false));
        assertFalse(remote.contains("From:"), remote);
        assertTrue(remote.contains("\r\nMessage-Id: <") && remote.contains("\r\nDate: "), remote);
        String local = text(HeaderBlock.fix(latin1("To: a@x\r\n\r\n"), "ABCDEF123", "mx.example.org", NOW, "s@example.org", true));
        assertTrue(local.endsWith("\r\nDate: Wed, 2 Dec 2026 04:20:00 +0000\r\nFrom: s@example.org\r\n\r\n"), local);
        assertFalse(local.contains("Resent-"), local);
    }

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String text(HeaderBlock.Fixed f) {
        return new String(f.bytes(), StandardCharsets.ISO_8859_1);
    }
}

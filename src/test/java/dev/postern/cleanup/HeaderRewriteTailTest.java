package dev.postern.cleanup;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link HeaderRewrite.Tail}: the primary headers after a header block cut at header_size_limit
 * are still headers, as in Postfix (mime_state_update() applies the limit to each header, not to
 * the section): message_drop_headers still removes them, a header longer than the limit is cut
 * as cleanup_out_header() cuts it, and whatever the chunking the result is the same.
 */
class HeaderRewriteTailTest {
    private static final Set<String> DROP = Set.of("bcc", "content-length", "resent-bcc", "return-path");

    private static byte[] latin1(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The tail's output for {@code in} fed in pieces of {@code piece} bytes, then finished. */
    private static String run(String in, long limit, int piece) {
        HeaderRewrite.Tail t = new HeaderRewrite.Tail(limit, DROP, null);
        byte[] b = latin1(in);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < b.length; i += piece) {
            out.writeBytes(t.feed(java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + piece))));
        }
        out.writeBytes(t.finish());
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** The same output whether the content comes whole, byte by byte or in odd pieces. */
    private static String run(String in, long limit) {
        String whole = run(in, limit, Math.max(1, in.length()));
        for (int piece : new int[] {1, 2, 3, 7, 64}) {
            assertEquals(whole, run(in, limit, piece), "in pieces of " + piece);
        }
        return whole;
    }

    @Test
    void aBccAfterAnOverLongHeaderIsDroppedAndTheLongOneCut() {
        String longLine = "X-Long: " + "a".repeat(200);
        String out = run(longLine + "\r\nBcc: secret@far.example,\r\n more@far.example\r\nSubject: s\r\n"
                + "bcc : also@far.example\r\nReturn-Path: <x@y>\r\n\r\nBcc: in the body stays\r\n", 100);
        // one line past the limit, starting before 90% of it: the "unkind cut" at the limit itself
        assertEquals(longLine.substring(0, 100) + "\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n", out);
    }

    @Test
    void aFoldedHeaderPastTheLimitLosesItsLastLinesAsPostfixCutsIt() {
        // lines of 29 + '\n': "To: a" then continuation lines; the buffer past 100 after the 4th line
        String l1 = "To: " + "a".repeat(25);                    // 29
        String l2 = " " + "b".repeat(28);                       // 29, ends at 59
        String l3 = " " + "c".repeat(28);                       // ends at 89
        String l4 = " " + "d".repeat(28);                       // starts at 90, ends at 119
        String l5 = " " + "e".repeat(28);                       // not appended past the limit
        String in = l1 + "\r\n" + l2 + "\r\n" + l3 + "\r\n" + l4 + "\r\n" + l5 + "\r\nBcc: x\r\nX: y\r\n\r\nbody\r\n";
        // limit 95: the 4th line ends past it and starts past 90% of it (85.5): "nice cut" before it
        assertEquals(l1 + "\r\n" + l2 + "\r\n" + l3 + "\r\nX: y\r\n\r\nbody\r\n", run(in, 95), "nice cut");
        // limit 100: it starts at 90, not past 90% of 100: "unkind cut" at the limit itself, inside the line
        assertEquals(l1 + "\r\n" + l2 + "\r\n" + l3 + "\r\n" + l4.substring(0, 10) + "\r\nX: y\r\n\r\nbody\r\n",
                run(in, 100), "unkind cut");
        // with 120 the 4th line ends within the limit; the 5th is appended (buffer at 119 < 120) and cut at 120:
        // it starts at 120 > 108 (90%), so it is left out whole
        assertEquals(l1 + "\r\n" + l2 + "\r\n" + l3 + "\r\n" + l4 + "\r\nX: y\r\n\r\nbody\r\n", run(in, 120));
        // a header of exactly the limit is kept byte for byte, its own line ends included
        String exact = "Subject: " + "s".repeat(91);            // 100
        assertEquals(exact + "\n\tmore\r\nX: y\r\n\r\n", run(exact + "\n\tmore\r\nX: y\r\n\r\n", 106));
    }

    @Test
    void theHeaderSectionEndsAtTheEmptyLineOrAtTheFirstLineThatIsNoHeader() {
        assertEquals("X: 1\n\nBcc: body\n", run("X: 1\nBcc: a\n\nBcc: body\n", 100), "bare LF lines");
        assertEquals("X: 1\r\nnot a header\r\nBcc: b\r\n", run("X: 1\r\nBcc: a\r\nnot a header\r\nBcc: b\r\n", 100),
                "a line that is no header is body text, as mime_state reads it, and all after it");
        assertEquals(" folded first\r\nBcc: b\r\n", run(" folded first\r\nBcc: b\r\n", 100),
                "a continuation line with no header before it is no header either");
        assertEquals("\u00e9: x\r\nBcc: b\r\n", run("\u00e9: x\r\nBcc: b\r\n", 100), "an 8-bit name is no header name");
        assertEquals("\rBcc: b\r\n", run("\rBcc: b\r\n", 100), "a stray CR starts no header");
        assertEquals("Subject: x\r\n", run("Bcc: a\r\nSubject: x\r\n", 100), "no empty line: all headers");
        assertEquals("Subject: x", run("Bcc: a\r\nSubject: x", 100), "the last one without its line end, at finish()");
        assertEquals("X: 1\r\nSubj", run("X: 1\r\nSubj", 100), "an unfinished line at the end stays");
    }

    @Test
    void mimeHeadersAreNeverDroppedAndReceivedIsCounted() {
        HeaderRewrite.Tail t = new HeaderRewrite.Tail(1000, Set.of("content-type", "received", "bcc"), null);
        String out = new String(t.feed(latin1("Received: a\r\nReceived : b\r\nContent-Type: text/plain\r\n"
                + "Bcc: x\r\n\r\n")), StandardCharsets.ISO_8859_1);
        assertEquals("Content-Type: text/plain\r\n\r\n", out);
        assertEquals(2, t.received(), "counted before the drop, as Postfix's hop count");
        assertFalse(t.inHeaders());
        byte[] body = latin1("Bcc: body\r\n");
        assertSame(body, t.feed(body), "the body passes as it is");
        assertEquals(0, t.finish().length);
    }

    @Test
    void eachHeaderKeptGoesThroughTheRewrite() {
        HeaderRewrite.Tail t = new HeaderRewrite.Tail(1000, DROP, h -> latin1(new String(h, StandardCharsets.ISO_8859_1)
                .replace("old.example", "new.example")));
        String out = new String(t.feed(latin1("To: a@old.example,\r\n b@old.example\r\nBcc: c@old.example\r\n\r\n"
                + "old.example\r\n")), StandardCharsets.ISO_8859_1);
        assertEquals("To: a@new.example,\r\n b@new.example\r\n\r\nold.example\r\n", out);
    }

    @Test
    void aCutHeaderIsWrittenAsPostfixsBufferHoldsIt() {
        // "Name :" is "Name:" in the buffer; an over-long line in a long name's header
        String out = run("Comments : " + "x".repeat(50) + "\r\nY: z\r\n\r\n", 30);
        assertEquals("Comments: " + "x".repeat(20) + "\r\nY: z\r\n\r\n", out);
        assertTrue(run("A: b\r\n\r\n", 1).startsWith("A\r\n"), "a limit of one byte still works: " + run("A: b\r\n\r\n", 1));
    }

    /** A whole header block (the end of the headers read at once): each header past the limit cut, nothing else changed. */
    @Test
    void cutLongHeadersCutsOnlyTheHeadersPastTheLimit() {
        byte[] small = latin1("Subject: " + "s".repeat(200) + "\r\nBcc: x\r\n\r\n" + "body ".repeat(100));
        assertSame(small, HeaderRewrite.cutLongHeaders(small, 300), "none past the limit: the same block");
        assertSame(small, HeaderRewrite.cutLongHeaders(small, 0), "no limit");
        String in = "From: a@x\r\nX-Long: " + "a".repeat(500) + "\r\nBcc: x\r\n\r\n" + "Long body line ".repeat(100);
        assertEquals("From: a@x\r\n" + ("X-Long: " + "a".repeat(500)).substring(0, 100) + "\r\nBcc: x\r\n\r\n"
                + "Long body line ".repeat(100), new String(HeaderRewrite.cutLongHeaders(latin1(in), 100), StandardCharsets.ISO_8859_1),
                "Bcc: is left for the drop, the body as it is");
        String noEnd = "From: a@x\r\nX-Long: " + "a".repeat(500);
        assertEquals("From: a@x\r\n" + noEnd.substring(11, 111) + "\r\n",
                new String(HeaderRewrite.cutLongHeaders(latin1(noEnd), 100), StandardCharsets.ISO_8859_1));
    }
}

package dev.postern.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SmtpInputDecoderTest {

    private final SmtpInputDecoder decoder = new SmtpInputDecoder(2048);
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    private List<Object> feed(String s) {
        channel.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
        List<Object> out = new ArrayList<>();
        Object o;
        while ((o = channel.readInbound()) != null) {
            out.add(o);
        }
        return out;
    }

    /** Feeds data-mode input and returns (content, whether end-of-data was seen, what followed). */
    private String[] data(String s) {
        decoder.startData();
        StringBuilder content = new StringBuilder();
        StringBuilder after = new StringBuilder();
        boolean ended = false;
        for (Object o : feed(s)) {
            if (o instanceof SmtpInput.Content c) {
                content.append(c.bytes().toString(StandardCharsets.ISO_8859_1));
                c.bytes().release();
            } else if (o instanceof SmtpInput.EndOfData) {
                ended = true;
            } else if (o instanceof SmtpInput.Command c) {
                after.append(c.line()).append('|');
            }
        }
        return new String[] {content.toString(), Boolean.toString(ended), after.toString()};
    }

    @Test
    void commandLinesAndPipelinedFlag() {
        List<Object> out = feed("EHLO a\r\nMAIL FROM:<a@b>\r\n");
        assertEquals(2, out.size());
        SmtpInput.Command first = (SmtpInput.Command) out.get(0);
        assertEquals("EHLO a", first.line());
        assertTrue(first.pipelinedAfter());
        assertFalse(((SmtpInput.Command) out.get(1)).pipelinedAfter());
    }

    @Test
    void plaintextAfterStartTlsIsDiscarded() {
        List<Object> out = feed("STARTTLS\r\nMAIL FROM:<attacker@evil.test>\r\nRSET\r\n");
        assertEquals(1, out.size(), "nothing behind STARTTLS may be decoded");
        assertEquals("STARTTLS", ((SmtpInput.Command) out.get(0)).line());
    }

    @Test
    void overlongCommandIsSkippedWithBoundedMemory() {
        List<Object> out = feed("X".repeat(3000));
        assertTrue(out.isEmpty(), "still skipping: no line end yet");
        out = feed("tail\r\nNOOP\r\n");
        SmtpInput.TooLong tooLong = assertInstanceOf(SmtpInput.TooLong.class, out.get(0));
        assertEquals("X".repeat(SmtpInputDecoder.TOO_LONG_PREFIX), tooLong.start(), "the line's first bytes, for the log");
        assertFalse(tooLong.inputDisabled(), "under twice the limit");
        assertEquals("NOOP", ((SmtpInput.Command) out.get(1)).line());
        out = feed("MAIL " + "Y".repeat(3000) + "\r\n");
        assertEquals("MAIL " + "Y".repeat(25), assertInstanceOf(SmtpInput.TooLong.class, out.get(0)).start(), "in one read");
    }

    /** smtp_stream.c smtp_get(): bound bytes read, bound more skipped without a line end: input disabled. */
    @Test
    void aLineOfTwiceTheLimitDisablesInput() {
        List<Object> out = feed("X".repeat(1 << 20));
        assertEquals(1, out.size());
        assertTrue(assertInstanceOf(SmtpInput.TooLong.class, out.get(0)).inputDisabled(), "reported before the line ends");
        assertEquals(List.of(), feed("tail\r\nNOOP\r\n"), "nothing after it is read");
    }

    @Test
    void malformedUtf8IsFlagged() {
        List<Object> out = feed("NOOP caf\u00c3\u00a9\r\nNOOP caf\u00e9\r\nNOOP \u00c0\u0080\r\nNOOP plain\r\n");
        assertEquals(List.of(true, false, false, true),
                out.stream().map(o -> ((SmtpInput.Command) o).validUtf8()).toList(), "UTF-8, Latin-1, overlong NUL, ASCII");
        assertEquals("NOOP caf\u00e9", ((SmtpInput.Command) out.get(0)).line());
    }

    @Test
    void dataIsUnstuffedAndEndsOnlyOnCrlfDotCrlf() {
        String[] r = data("Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n");
        assertEquals("Subject: x\r\n\r\n.leading dot\r\n", r[0]);
        assertEquals("true", r[1]);
        assertEquals("QUIT|", r[2]);
    }

    @Test
    void dataSplitAcrossReadsAtEveryByte() {
        String msg = "a\r\n.b\r\nline\r\n.\r\n";
        decoder.startData();
        StringBuilder content = new StringBuilder();
        boolean ended = false;
        for (char ch : msg.toCharArray()) {
            for (Object o : feed(String.valueOf(ch))) {
                if (o instanceof SmtpInput.Content c) {
                    content.append(c.bytes().toString(StandardCharsets.ISO_8859_1));
                    c.bytes().release();
                } else if (o instanceof SmtpInput.EndOfData) {
                    ended = true;
                }
            }
        }
        assertTrue(ended);
        assertEquals("a\r\nb\r\nline\r\n", content.toString());
    }

    /**
     * security-vectors.md §1.1 S1–S12: none of these ends the data; the smuggled commands stay
     * message content and only the final CRLF.CRLF ends it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"\n.\n", "\n.\r", "\r.\n", "\r.\r", "\n.\r\n", "\r.\r\n", "\r\n.\n", "\r\n.\r",
            "\r\n.\r\r\n", "\r\r\n.\r\r\n", "\r\n\u0000.\r\n", "\r\n.\u0000\r\n"})
    void smugglingSequencesNeverEndData(String sequence) {
        String smuggled = "MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
                + "Subject: SMUGGLED\r\n\r\nsmuggled body\r\n";
        String[] r = data("Subject: one\r\n\r\nbody one" + sequence + smuggled + ".\r\n");
        assertEquals("true", r[1]);
        assertEquals("", r[2], "no command may be decoded from the smuggled part");
        assertTrue(r[0].contains("MAIL FROM:<ceo@victim.test>"), "smuggled text stays content");
        // Stored content has only CRLF line endings: no stray CR or LF survives.
        String stripped = r[0].replace("\r\n", "");
        assertFalse(stripped.contains("\r") || stripped.contains("\n"), "stray CR/LF in " + r[0]);
    }

    @Test
    void bareLfLineEndingIsNormalisedAndFlagged() {
        decoder.startData();
        List<Object> out = feed("a\nb\r\n.\r\n");
        SmtpInput.Content c = (SmtpInput.Content) out.get(0);
        assertEquals("a\r\nb\r\n", c.bytes().toString(StandardCharsets.ISO_8859_1));
        assertTrue(c.bareNewline());
        c.bytes().release();
        assertInstanceOf(SmtpInput.EndOfData.class, out.get(1));
    }

    @Test
    void longDataLinesPassThroughWithoutBuffering() {
        decoder.startData();
        String line = "y".repeat(100_000);
        List<Object> out = feed(line);
        long n = 0;
        for (Object o : out) {
            ByteBuf b = ((SmtpInput.Content) o).bytes();
            n += b.readableBytes();
            b.release();
        }
        assertEquals(100_000, n, "a partial line is emitted, not held");
        out = feed("\r\n.\r\n");
        assertInstanceOf(SmtpInput.EndOfData.class, out.get(out.size() - 1));
    }
}

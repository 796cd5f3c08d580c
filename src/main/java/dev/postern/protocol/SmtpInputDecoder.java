package dev.postern.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Frames the client's byte stream into SMTP commands and message content, with bounded memory.
 *
 * <p>Command mode: lines end with LF (CRLF expected; a bare LF is reported). Lines longer than
 * {@code maxCommandLine} are skipped and reported as {@link SmtpInput.TooLong}. When a STARTTLS
 * line is decoded, every byte already buffered behind it is discarded (CVE-2011-0411: nothing
 * sent in plaintext may survive into the TLS session).
 *
 * <p>Data mode (entered by {@link #startData()} after the 354 reply): content is unstuffed
 * (a leading dot removed) and emitted with CRLF line endings. Only {@code CRLF . CRLF} ends the
 * data: a dot line ended by a bare LF or CR, or preceded by a line that did not end in CRLF, is
 * content, never end-of-data (SMTP smuggling). Stray CR and LF bytes that are not part of a line
 * ending are replaced by a space, as Postfix's cleanup_replace_stray_cr_lf does, so no ambiguous
 * newline can be relayed onward. A line ending in bare LF is stored as CRLF (Postfix
 * smtpd_forbid_bare_newline=normalize); the {@code bareNewline} flag lets the session reject
 * instead when configured.
 */
public final class SmtpInputDecoder extends ByteToMessageDecoder {
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    /** How much of an over-long command line is kept for the log (smtpd_chat.c: "%.30s..."). */
    public static final int TOO_LONG_PREFIX = 30;
    /** How much of the input pipelined behind a command is kept (smtpd.c smtpd_flag_ill_pipelining(): 100). */
    public static final int FOLLOWING = 100;

    private final int maxCommandLine;
    private boolean dataMode;
    private String skippedStart; // non-null while skipping an over-long line: its first bytes
    private long skipped; // how much of that line was skipped so far
    private boolean inputDisabled; // a line of twice the limit: everything after it is discarded
    // Data-mode state carried across reads.
    private boolean atLineStart = true;
    private boolean previousLineCrlf = true;

    public SmtpInputDecoder(int maxCommandLine) {
        this.maxCommandLine = maxCommandLine;
    }

    /** Switches to data mode; call right after sending 354. */
    public void startData() {
        dataMode = true;
        atLineStart = true;
        previousLineCrlf = true;
    }

    public boolean inDataMode() {
        return dataMode;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (dataMode) {
            decodeData(ctx, in, out);
        } else {
            decodeCommand(in, out);
        }
    }

    private void decodeCommand(ByteBuf in, List<Object> out) {
        if (inputDisabled) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int lf = in.indexOf(in.readerIndex(), in.writerIndex(), LF);
        if (lf < 0) {
            if (skippedStart != null || in.readableBytes() > maxCommandLine) {
                if (skippedStart == null) {
                    skippedStart = start(in);
                }
                skipped += in.readableBytes();
                in.skipBytes(in.readableBytes());
                if (skipped >= 2L * maxCommandLine) { // smtp_stream.c: bound bytes read, bound more skipped
                    tooLong(out);
                }
            }
            return;
        }
        int length = lf - in.readerIndex();
        if (skippedStart != null || length > maxCommandLine) {
            if (skippedStart == null) {
                skippedStart = start(in);
            }
            skipped += length;
            in.readerIndex(lf + 1);
            tooLong(out);
            return;
        }
        boolean crlf = length > 0 && in.getByte(lf - 1) == CR;
        int textLength = crlf ? length - 1 : length;
        boolean validUtf8 = ByteBufUtil.isText(in, in.readerIndex(), textLength, StandardCharsets.UTF_8);
        String line = in.toString(in.readerIndex(), textLength, StandardCharsets.UTF_8);
        in.readerIndex(lf + 1);
        boolean more = in.isReadable();
        String following = more ? in.toString(in.readerIndex(), Math.min(FOLLOWING, in.readableBytes()), StandardCharsets.ISO_8859_1) : "";
        if (more && isStartTls(line)) {
            in.skipBytes(in.readableBytes());
        }
        out.add(new SmtpInput.Command(line, more, !crlf, validUtf8, following));
    }

    private void tooLong(List<Object> out) {
        inputDisabled = skipped >= 2L * maxCommandLine;
        out.add(new SmtpInput.TooLong(skippedStart, inputDisabled));
        skippedStart = null;
        skipped = 0;
    }

    private static String start(ByteBuf in) {
        return in.toString(in.readerIndex(), Math.min(TOO_LONG_PREFIX, in.readableBytes()), StandardCharsets.ISO_8859_1);
    }

    private static boolean isStartTls(String line) {
        return line.length() >= 8 && line.regionMatches(true, 0, "STARTTLS", 0, 8);
    }

    private void decodeData(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        ByteBuf content = ctx.alloc().buffer(in.readableBytes() + 64);
        boolean bare = false;
        while (in.isReadable()) {
            int start = in.readerIndex();
            int lf = in.indexOf(start, in.writerIndex(), LF);
            if (lf < 0) {
                // Partial line: emit what we can, keeping a trailing CR (it may pair with an LF) and,
                // at a line start, enough bytes to recognise "." lines.
                int keep = in.getByte(in.writerIndex() - 1) == CR ? 1 : 0;
                int available = in.readableBytes() - keep;
                if (atLineStart && available < 3) {
                    break;
                }
                if (available <= 0) {
                    break;
                }
                appendLinePart(in, start, available, content);
                atLineStart = false;
                continue;
            }
            int end = lf; // exclusive end of the line's text, before CR
            boolean crlf = end > start && in.getByte(end - 1) == CR;
            if (crlf) {
                end--;
            } else {
                bare = true;
            }
            int len = end - start;
            if (atLineStart && crlf && previousLineCrlf && len == 1 && in.getByte(start) == '.') {
                in.readerIndex(lf + 1);
                dataMode = false;
                atLineStart = true;
                if (content.isReadable()) {
                    out.add(new SmtpInput.Content(content, bare));
                } else {
                    content.release();
                }
                out.add(new SmtpInput.EndOfData());
                return;
            }
            appendLinePart(in, start, len, content);
            content.writeByte(CR).writeByte(LF);
            in.readerIndex(lf + 1);
            atLineStart = true;
            previousLineCrlf = crlf;
        }
        if (content.isReadable()) {
            out.add(new SmtpInput.Content(content, bare));
        } else {
            content.release();
        }
    }

    /** Copies line text, dropping a stuffed leading dot and replacing stray CR/LF with a space. */
    private void appendLinePart(ByteBuf in, int start, int len, ByteBuf content) {
        int from = start;
        int n = len;
        if (atLineStart && n > 0 && in.getByte(from) == '.') {
            from++;
            n--;
        }
        int mark = content.writerIndex();
        content.writeBytes(in, from, n);
        // Lines are split at LF, so only a stray CR can be inside; indexOf scans a word at a time.
        int end = content.writerIndex();
        for (int i = content.indexOf(mark, end, CR); i >= 0; i = content.indexOf(i + 1, end, CR)) {
            content.setByte(i, ' ');
        }
        in.readerIndex(start + len);
    }
}

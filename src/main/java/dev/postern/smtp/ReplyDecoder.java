package dev.postern.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.ByteProcessor;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Frames a next hop's replies into lines, with bounds, on the event loop, so a hostile server can
 * never make the client buffer without limit. As Postfix's smtp_chat_resp(): a line longer than
 * line_length_limit (2048) keeps its first 2048 bytes and the rest is skipped (Postfix warns
 * "response longer than 2048"). Beyond Postfix, which stops such a server only with its timeouts: a
 * reply of more than {@link #MAX_LINES} lines or {@link #MAX_BYTES} bytes (skipped bytes count),
 * or more than {@link #MAX_UNREAD_LINES} lines that the delivery worker has not taken yet (a flood
 * of replies nobody asked for), ends the session: a {@link Limit} is emitted and the channel closed.
 */
final class ReplyDecoder extends ByteToMessageDecoder {
    /** line_length_limit's default: the longest reply line kept. */
    static final int LINE_LIMIT = 2048;
    /** The most lines in one (multi-line) reply: EHLO replies have about 15. */
    static final int MAX_LINES = 1000;
    /** The most bytes in one reply, lines and skipped parts together. */
    static final int MAX_BYTES = 1024 * 1024;
    static final int MAX_UNREAD_LINES = MAX_LINES + 100;

    /** One reply line; {@code truncated} when it was longer than {@link #LINE_LIMIT}. */
    record Line(String text, boolean truncated) {
    }

    /** The server broke a bound; the text says which, for the delivery status. */
    record Limit(String text) {
    }

    private final IntSupplier unread;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    private boolean truncated;
    private int replyLines;
    private long replyBytes;
    private boolean failed;

    /** @param unread how many framed lines the worker has not taken yet */
    ReplyDecoder(IntSupplier unread) {
        this.unread = unread;
    }

    /** Bytes received but not yet framed into a line (response injection check). */
    int pending() {
        return actualReadableBytes() + line.size();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (!failed && in.isReadable()) {
            int lf = in.forEachByte(ByteProcessor.FIND_LF);
            int end = lf < 0 ? in.writerIndex() : lf + 1;
            int n = end - in.readerIndex();
            replyBytes += n;
            int keep = Math.min(n, LINE_LIMIT + 2 - line.size()); // + CRLF
            if (keep > 0) {
                byte[] b = new byte[keep];
                in.getBytes(in.readerIndex(), b);
                line.write(b, 0, keep);
            }
            truncated |= keep < n;
            in.skipBytes(n);
            if (replyBytes > MAX_BYTES) {
                fail(ctx, out, "response longer than " + MAX_BYTES + " bytes");
                return;
            }
            if (lf < 0) {
                return;
            }
            String text = text();
            replyLines++;
            boolean last = text.length() < 4 || text.charAt(3) != '-';
            if (!last && replyLines >= MAX_LINES) {
                fail(ctx, out, "response longer than " + MAX_LINES + " lines");
                return;
            }
            if (unread.getAsInt() + out.size() >= MAX_UNREAD_LINES) {
                fail(ctx, out, "more than " + MAX_UNREAD_LINES + " response lines unread (replies to commands not sent)");
                return;
            }
            out.add(new Line(text, truncated));
            line.reset();
            truncated = false;
            if (last) {
                replyLines = 0;
                replyBytes = 0;
            }
        }
        if (failed) {
            in.skipBytes(in.readableBytes());
        }
    }

    /** The line without its CR LF (or bare LF), at most {@link #LINE_LIMIT} bytes. */
    private String text() {
        byte[] b = line.toByteArray();
        int len = b.length;
        if (len > 0 && b[len - 1] == '\n') {
            len--;
        }
        if (len > 0 && b[len - 1] == '\r') {
            len--;
        }
        return new String(b, 0, Math.min(len, LINE_LIMIT), StandardCharsets.UTF_8);
    }

    private void fail(ChannelHandlerContext ctx, List<Object> out, String why) {
        failed = true;
        line.reset();
        out.add(new Limit(why));
        ctx.close();
    }
}

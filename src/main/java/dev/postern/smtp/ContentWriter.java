package dev.postern.smtp;

import io.netty.buffer.ByteBuf;

/**
 * Turns queued content into DATA bytes: dot-stuffing (a line starting with '.' gets another), stray
 * CR or LF that is not part of CRLF replaced by a space (Postfix cleanup_replace_stray_cr_lf, so
 * nothing we relay can end the data early at the next hop), a final CRLF added when missing, and
 * the terminating {@code .CRLF}. Stateful across chunks; appends to the caller's buffer so a small
 * message and its terminator go out in one write.
 */
final class ContentWriter {
    private boolean atLineStart = true;
    private boolean pendingCr;

    void chunk(byte[] in, int len, ByteBuf out) {
        int i = 0;
        while (i < len) {
            byte b = in[i];
            if (pendingCr) {
                pendingCr = false;
                if (b == '\n') {
                    out.writeByte('\r').writeByte('\n');
                    atLineStart = true;
                    i++;
                    continue;
                }
                space(out);
            }
            if (b == '\r') {
                pendingCr = true;
                i++;
            } else if (b == '\n') {
                space(out);
                i++;
            } else {
                if (atLineStart && b == '.') {
                    out.writeByte('.');
                }
                // Copy the rest of the line in one go: only CR and LF need a decision.
                int end = i + 1;
                while (end < len && in[end] != '\r' && in[end] != '\n') {
                    end++;
                }
                out.writeBytes(in, i, end - i);
                atLineStart = false;
                i = end;
            }
        }
    }

    private void space(ByteBuf out) {
        out.writeByte(' ');
        atLineStart = false;
    }

    /** The end of the message: completes the last line and adds the terminator. */
    void finish(ByteBuf out) {
        if (pendingCr) {
            space(out);
            pendingCr = false;
        }
        if (!atLineStart) {
            out.writeByte('\r').writeByte('\n');
        }
        out.writeByte('.').writeByte('\r').writeByte('\n');
        atLineStart = true;
    }
}

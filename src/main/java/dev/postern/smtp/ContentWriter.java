package dev.postern.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Turns queued content into DATA bytes: dot-stuffing (a line starting with '.' gets another), stray
 * CR or LF that is not part of CRLF replaced by a space (Postfix cleanup_replace_stray_cr_lf, so
 * nothing we relay can end the data early at the next hop), a final CRLF added when missing, and
 * the terminating {@code .CRLF}. Stateful across chunks.
 */
final class ContentWriter {
    private boolean atLineStart = true;
    private boolean pendingCr;

    ByteBuf chunk(byte[] in, int len) {
        ByteBuf out = Unpooled.buffer(len + len / 32 + 8);
        for (int i = 0; i < len; i++) {
            byte b = in[i];
            if (pendingCr) {
                pendingCr = false;
                if (b == '\n') {
                    out.writeByte('\r').writeByte('\n');
                    atLineStart = true;
                    continue;
                }
                emit(out, (byte) ' ');
            }
            if (b == '\r') {
                pendingCr = true;
            } else if (b == '\n') {
                emit(out, (byte) ' ');
            } else {
                emit(out, b);
            }
        }
        return out;
    }

    private void emit(ByteBuf out, byte b) {
        if (atLineStart && b == '.') {
            out.writeByte('.');
        }
        out.writeByte(b);
        atLineStart = false;
    }

    /** The end of the message: completes the last line and adds the terminator. */
    ByteBuf finish() {
        ByteBuf out = Unpooled.buffer(8);
        if (pendingCr) {
            emit(out, (byte) ' ');
            pendingCr = false;
        }
        if (!atLineStart) {
            out.writeByte('\r').writeByte('\n');
        }
        out.writeByte('.').writeByte('\r').writeByte('\n');
        atLineStart = true;
        return out;
    }
}

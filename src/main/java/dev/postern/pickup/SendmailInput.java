package dev.postern.pickup;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * A message read from sendmail's standard input, as Postfix's sendmail reads it: LF or CRLF line
 * endings become CRLF, leading mbox {@code From } lines (also {@code >From }) are dropped, and a
 * line holding only a dot ends the input unless {@code -i} (or {@code -oi}) was given. A last
 * line without a newline gets one. No dot-unstuffing: this is not SMTP.
 */
public final class SendmailInput {
    private SendmailInput() {}

    /** The message is larger than message_size_limit. */
    public static final class TooBigException extends IOException {
        TooBigException() {
            super("message file too big");
        }
    }

    /** {@code limit} 0 means no limit. */
    public static byte[] read(InputStream in, boolean dotEndsInput, long limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        boolean atStart = true;
        while (true) {
            line.reset();
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                line.write(c);
            }
            if (c < 0 && line.size() == 0) {
                break;
            }
            byte[] b = line.toByteArray();
            int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
            if (atStart && isFromLine(b, n)) {
                continue;
            }
            atStart = false;
            if (dotEndsInput && n == 1 && b[0] == '.') {
                break;
            }
            out.write(b, 0, n);
            out.write('\r');
            out.write('\n');
            if (limit > 0 && out.size() > limit) {
                throw new TooBigException();
            }
            if (c < 0) {
                break;
            }
        }
        return out.toByteArray();
    }

    private static boolean isFromLine(byte[] b, int n) {
        int i = 0;
        while (i < n && b[i] == '>') {
            i++;
        }
        return n - i >= 5 && b[i] == 'F' && b[i + 1] == 'r' && b[i + 2] == 'o' && b[i + 3] == 'm' && b[i + 4] == ' ';
    }
}

package dev.postern.checks;

import java.io.ByteArrayOutputStream;

/**
 * Postfix's cleanup_out_header() for a header past header_size_limit, shared by header checks
 * ({@link ContentInspector}) and cleanup's own header pass: the header's lines up to the last one
 * that ends within the limit ("nice cut"), unless that would drop more than a tenth of it, then
 * cut at the limit itself ("unkind cut"); each line written ends with CRLF.
 */
public final class HeaderCut {
    private HeaderCut() {}

    /** @param key the header's lines joined by '\n' (Postfix's header buffer) */
    public static byte[] cut(byte[] key, int limit) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(Math.min(key.length, limit) + 64);
        int line = 0;
        while (line <= key.length) {
            int end = line;
            while (end < key.length && key[end] != '\n') {
                end++;
            }
            if (end > limit) {
                if (line > 0.9 * limit) {
                    break;
                }
                end = limit;
            }
            b.write(key, line, end - line);
            b.write('\r');
            b.write('\n');
            if (end >= key.length || end == limit) {
                break;
            }
            line = end + 1;
        }
        return b.toByteArray();
    }
}

package dev.postern.rewrite;

/**
 * How Postfix writes out a header whose addresses it rewrote: cleanup_fold_header() then
 * cleanup_out_header() (cleanup/cleanup_message.c, cleanup_out.c), which smtp_header_rewrite()
 * (smtp/smtp_proto.c) copies for smtp_generic_maps.
 *
 * <p>The externalized header has one address per line. Lines are joined with a space as long as
 * the output line so far stays under 70 bytes (counted from the start of that output line, so
 * one long address still gets a line of its own), and every continuation line that does not
 * already start with a blank (a line break kept inside a comment does) gets a TAB.
 */
final class Tok822Fold {
    private static final int FOLD_WIDTH = 70;

    private Tok822Fold() {}

    /** The folded header, lines joined with "\n", one char per byte. */
    static String fold(String header) {
        char[] buf = header.toCharArray();
        int startLine = 0;
        for (int line = 0; line >= 0; ) {
            int endLine = indexOf(buf, '\n', line);
            if (line > startLine) {
                if (endLine - startLine < FOLD_WIDTH) {
                    buf[line - 1] = ' ';
                } else {
                    startLine = line;
                }
            }
            line = endLine < buf.length ? endLine + 1 : -1;
        }
        StringBuilder out = new StringBuilder(buf.length + 8);
        int line = 0;
        while (true) {
            int end = indexOf(buf, '\n', line);
            if (line > 0) {
                out.append('\n');
                if (line == end || (buf[line] != ' ' && buf[line] != '\t')) {
                    out.append('\t');
                }
            }
            out.append(buf, line, end - line);
            if (end == buf.length) {
                return out.toString();
            }
            line = end + 1;
        }
    }

    private static int indexOf(char[] buf, char c, int from) {
        for (int i = from; i < buf.length; i++) {
            if (buf[i] == c) {
                return i;
            }
        }
        return buf.length;
    }
}

package dev.postern.protocol;

/**
 * Client bytes written into a log line the way Postfix's escape() (util/unescape.c) writes them:
 * printable ASCII as is (a backslash doubled), C escapes for the usual control characters, and
 * {@code \ooo} for every other byte.
 */
public final class PostfixEscape {
    private PostfixEscape() {
    }

    /** Escapes text whose chars are bytes (ISO-8859-1). */
    public static String escape(CharSequence bytes) {
        StringBuilder b = new StringBuilder(bytes.length() + 8);
        for (int i = 0; i < bytes.length(); i++) {
            append(b, bytes.charAt(i) & 0xff);
        }
        return b.toString();
    }

    /** Appends one byte, escaped. */
    public static void append(StringBuilder b, int c) {
        switch (c) {
            case 0x07 -> b.append("\\a");
            case '\b' -> b.append("\\b");
            case '\f' -> b.append("\\f");
            case '\n' -> b.append("\\n");
            case '\r' -> b.append("\\r");
            case '\t' -> b.append("\\t");
            case 0x0b -> b.append("\\v");
            case '\\' -> b.append("\\\\");
            default -> {
                if (c >= 0x20 && c < 0x7f) {
                    b.append((char) c);
                } else {
                    b.append('\\').append((char) ('0' + (c >> 6))).append((char) ('0' + ((c >> 3) & 7))).append((char) ('0' + (c & 7)));
                }
            }
        }
    }
}

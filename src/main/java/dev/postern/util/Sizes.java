package dev.postern.util;

/** Byte counts as Postfix writes them: a plain decimal number (e.g. message_size_limit = 10240000). */
public final class Sizes {
    private Sizes() {}

    public static long parse(String text) {
        String t = text.trim();
        try {
            long n = Long.parseLong(t);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size \"" + text + "\": expected a non-negative number of bytes");
        }
    }
}

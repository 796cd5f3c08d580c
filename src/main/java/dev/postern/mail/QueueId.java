package dev.postern.mail;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A queue ID: upper-case hex, unique within one queue directory, like Postfix's short IDs. It is
 * the microsecond of creation followed by a per-process counter, so IDs sort by arrival and two
 * processes started in the same microsecond are the only (astronomically unlikely) clash; the
 * spool refuses to overwrite an existing file anyway.
 */
public record QueueId(String value) {

    private static final AtomicLong COUNTER = new AtomicLong();

    public QueueId {
        if (!isValid(value)) {
            throw new IllegalArgumentException("invalid queue id: " + value);
        }
    }

    /** {@code [0-9A-F]{6,20}}, without a regex: every queue file name and every new ID is checked. */
    public static boolean isValid(String s) {
        int n = s.length();
        if (n < 6 || n > 20) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }

    public static QueueId next() {
        long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        long n = COUNTER.getAndIncrement() & 0xFFF;
        return new QueueId(hex(micros & 0xFFFFFFFFFFFL, 11) + hex(n, 3)); // as "%011X%03X"
    }

    private static String hex(long v, int digits) {
        char[] c = new char[digits];
        for (int i = digits - 1; i >= 0; i--, v >>>= 4) {
            c[i] = Character.toUpperCase(Character.forDigit((int) (v & 0xF), 16));
        }
        return new String(c);
    }

    @Override
    public String toString() {
        return value;
    }
}

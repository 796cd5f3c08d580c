package dev.postern.mail;

import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * A queue ID: upper-case hex, unique within one queue directory, like Postfix's short IDs. It is
 * the microsecond of creation followed by a per-process counter, so IDs sort by arrival and two
 * processes started in the same microsecond are the only (astronomically unlikely) clash; the
 * spool refuses to overwrite an existing file anyway.
 */
public record QueueId(String value) {

    private static final Pattern VALID = Pattern.compile("[0-9A-F]{6,20}");
    private static final AtomicLong COUNTER = new AtomicLong();

    public QueueId {
        if (!VALID.matcher(value).matches()) {
            throw new IllegalArgumentException("invalid queue id: " + value);
        }
    }

    public static boolean isValid(String s) {
        return VALID.matcher(s).matches();
    }

    public static QueueId next() {
        long micros = System.currentTimeMillis() * 1000 + (System.nanoTime() / 1000) % 1000;
        long n = COUNTER.getAndIncrement() & 0xFFF;
        return new QueueId(String.format("%011X%03X", micros & 0xFFFFFFFFFFFL, n));
    }

    @Override
    public String toString() {
        return value;
    }
}

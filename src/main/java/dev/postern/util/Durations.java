package dev.postern.util;

import java.time.Duration;

/**
 * Postfix time values: a number with an optional unit letter (s, m, h, d, w); a bare number uses
 * the parameter's default unit, as in Postfix ("300s", "5d", "3600").
 */
public final class Durations {
    private Durations() {}

    public static Duration parse(String text, char defaultUnit) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty time value");
        }
        char unit = defaultUnit;
        char last = Character.toLowerCase(t.charAt(t.length() - 1));
        if (Character.isLetter(last)) {
            unit = last;
            t = t.substring(0, t.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad time value \"" + text + "\": expected a number with optional unit s, m, h, d or w");
        }
        if (n < 0) {
            throw new IllegalArgumentException("negative time value \"" + text + "\"");
        }
        switch (unit) {
            case 's': return Duration.ofSeconds(n);
            case 'm': return Duration.ofMinutes(n);
            case 'h': return Duration.ofHours(n);
            case 'd': return Duration.ofDays(n);
            case 'w': return Duration.ofDays(7 * n);
            default:
                throw new IllegalArgumentException("bad time unit '" + unit + "' in \"" + text + "\": use s, m, h, d or w");
        }
    }

    /** Formats like Postfix's postconf: seconds with an "s" suffix. */
    public static String format(Duration d) {
        return d.getSeconds() + "s";
    }
}

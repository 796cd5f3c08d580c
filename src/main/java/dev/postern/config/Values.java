package dev.postern.config;

import dev.postern.util.Durations;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;

/**
 * Typed values as Postfix reads them (mail_conf_time.c, mail_conf_int.c, mail_conf_bool.c): a bare
 * time takes the unit of the parameter's default, numbers must lie within Postfix's bounds. Used by
 * {@link ConfigChecks} at load, so a bad value is an error at check and start, not at first use,
 * and by {@link ParsedConfig}'s typed getters.
 */
final class Values {
    private Values() {}

    /** A value's problem and its fix, or null when the value is good. */
    record Problem(String problem, String fix) {
    }

    static Duration duration(Param p, String value) {
        return Durations.parse(value, p == null ? 's' : p.defaultUnit());
    }

    /** Checks an expanded value against its parameter's type and bounds. */
    static Problem check(Param p, String value) {
        String bad = "bad value for " + p.name() + ": \"" + value + "\"";
        switch (p.type()) {
            case BOOL:
                return value.matches("(?i)yes|no|true|false") ? null : new Problem(bad, "use yes or no");
            case INT:
            case SIZE: {
                long n;
                try {
                    n = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    return new Problem(bad, p.type() == Param.Type.INT ? "use a whole number" : "use a number of bytes");
                }
                long max = p.type() == Param.Type.INT ? Integer.MAX_VALUE : Long.MAX_VALUE;
                return outOfRange(p, bad, n, p.min(), p.max() == null ? max : p.max(), Long::toString);
            }
            case TIME: {
                Duration d;
                try {
                    d = duration(p, value);
                    if (d.isNegative()) {
                        throw new ArithmeticException("overflow");
                    }
                } catch (IllegalArgumentException | ArithmeticException e) {
                    return new Problem(bad, "use a number with an optional unit s, m, h, d or w (default " + withoutStress(p.defaultValue())
                            + "; a bare number is in " + unitName(p.defaultUnit()) + ")");
                }
                return outOfRange(p, bad, d.getSeconds(), p.min(), p.max(), Values::formatSeconds);
            }
            default:
                return choice(p, value, bad);
        }
    }

    /** Parameters Postfix reads with name_code (case-insensitive); their readers in Postern lowercase. */
    private static final java.util.Set<String> ANY_CASE = java.util.Set.of("smtpd_forbid_bare_newline");

    /** A word outside the parameter's name table (a typo would otherwise pick some default in silence). */
    private static Problem choice(Param p, String value, String bad) {
        if (p.choices() == null) {
            return null;
        }
        List<String> words = p.type() == Param.Type.LIST ? Lists.split(value) : List.of(value);
        for (String w : words) {
            // Exact words where Postfix reads them with name_mask (case-sensitive: mynetworks_style "Host"
            // is fatal there); any case where it uses name_code, whose reader here lowercases too.
            String word = ANY_CASE.contains(p.name()) ? w.toLowerCase(java.util.Locale.ROOT) : w;
            if (!p.choices().contains(word)) {
                List<String> c = p.choices().stream().map(x -> x.isEmpty() ? "an empty value" : x).toList();
                return new Problem(bad, "use " + String.join(", ", c.subList(0, c.size() - 1)) + " or " + c.get(c.size() - 1));
            }
        }
        return null;
    }

    private static Problem outOfRange(Param p, String bad, long n, Long min, Long max, LongFunction<String> fmt) {
        String limit = p.type() == Param.Type.TIME ? "a time" : "a number";
        if (min != null && n < min) {
            return new Problem(bad + " is less than " + fmt.apply(min), "use " + limit + " of at least " + fmt.apply(min)
                    + rangeHint(p, fmt));
        }
        if (max != null && n > max) {
            return new Problem(bad + " is more than " + fmt.apply(max), "use " + limit + " of at most " + fmt.apply(max)
                    + rangeHint(p, fmt));
        }
        return null;
    }

    private static String rangeHint(Param p, LongFunction<String> fmt) {
        return p.type() == Param.Type.TIME ? " (a bare number is in " + unitName(p.defaultUnit()) + ")" : "";
    }

    /** The bounds for docs/parameters.md: "≥ 1s", "0s .. 100d", the words allowed, or "" when Postfix has none. */
    static String range(Param p) {
        if (p.choices() != null) {
            return String.join(", ", p.choices().stream().map(x -> x.isEmpty() ? "(empty)" : x).toList());
        }
        if (p.min() == null && p.max() == null) {
            return "";
        }
        LongFunction<String> fmt = p.type() == Param.Type.TIME ? Values::formatSeconds : Long::toString;
        if (p.max() == null) {
            return "≥ " + fmt.apply(p.min());
        }
        return fmt.apply(p.min() == null ? 0 : p.min()) + " .. " + fmt.apply(p.max());
    }

    /** Seconds in the largest unit that divides them exactly: 8640000 → "100d", 300 → "5m". */
    static String formatSeconds(long s) {
        if (s == 0) {
            return "0s";
        }
        long[] sizes = {7 * 86400, 86400, 3600, 60};
        String units = "wdhm";
        for (int i = 0; i < sizes.length; i++) {
            if (s % sizes[i] == 0) {
                return s / sizes[i] + String.valueOf(units.charAt(i));
            }
        }
        return s + "s";
    }

    static String unitName(char unit) {
        return switch (Character.toLowerCase(unit)) {
            case 'w' -> "weeks";
            case 'd' -> "days";
            case 'h' -> "hours";
            case 'm' -> "minutes";
            default -> "seconds";
        };
    }

    /** True when a set value is the one a FIXED parameter allows (booleans compare as booleans). */
    static boolean sameAs(Param p, String value, String only) {
        if (p.type() == Param.Type.BOOL) {
            return truth(value) == truth(only);
        }
        return value.strip().equalsIgnoreCase(only.strip());
    }

    static boolean truth(String v) {
        String t = v.strip().toLowerCase(Locale.ROOT);
        return t.equals("yes") || t.equals("true") || t.equals("1");
    }

    /** A default as postconf -dx shows it: {@code ${stress?{10}:{300}}s} is 300s when not under stress. */
    static String withoutStress(String value) {
        return value.replaceAll("\\$\\{stress\\?\\{[^}]*\\}:\\{([^}]*)\\}\\}", "$1");
    }
}

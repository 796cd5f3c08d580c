package dev.postern.tls;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Postfix protocol syntax to a protocol list: {@code ">=TLSv1.2"}, {@code "<=TLSv1.2"},
 * {@code "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1"}, or an explicit list. SSLv2/SSLv3 never.
 */
public final class Protocols {
    private static final List<String> KNOWN = List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
    private static final List<String> DEFAULT = List.of("TLSv1.2", "TLSv1.3");

    private Protocols() {}

    public static String[] parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return DEFAULT.toArray(String[]::new);
        }
        Set<String> include = new LinkedHashSet<>();
        Set<String> exclude = new LinkedHashSet<>();
        for (String t : spec.split("[,\\s:]+")) {
            if (t.isEmpty()) {
                continue;
            }
            if (t.startsWith(">=")) {
                int i = index(t.substring(2));
                include.addAll(KNOWN.subList(i, KNOWN.size()));
            } else if (t.startsWith("<=")) {
                int i = index(t.substring(2));
                include.addAll(KNOWN.subList(0, i + 1));
            } else if (t.startsWith("!")) {
                exclude.add(canonical(t.substring(1)));
            } else {
                include.add(canonical(t));
            }
        }
        if (include.isEmpty()) {
            include.addAll(DEFAULT);
        }
        include.removeAll(exclude);
        include.removeIf(p -> !KNOWN.contains(p));
        if (include.isEmpty()) {
            throw new IllegalArgumentException("TLS protocol setting \"" + spec + "\" leaves no protocol enabled");
        }
        return new ArrayList<>(include).toArray(String[]::new);
    }

    private static int index(String p) {
        int i = KNOWN.indexOf(canonical(p));
        if (i < 0) {
            throw new IllegalArgumentException("unknown TLS protocol \"" + p + "\": use TLSv1.2 or TLSv1.3");
        }
        return i;
    }

    private static String canonical(String p) {
        String u = p.trim();
        for (String k : KNOWN) {
            if (k.equalsIgnoreCase(u)) {
                return k;
            }
        }
        return u.toUpperCase(Locale.ROOT).startsWith("SSL") ? u : u;
    }
}

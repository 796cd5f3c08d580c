package dev.postern.smtpd;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Postfix's per-session command tally for the disconnect line:
 * {@code ehlo=2 starttls=1 mail=1 rcpt=0/1 data=1 quit=1 commands=6/7} (ok/total when they differ).
 */
final class CommandCounts {
    private final Map<String, int[]> counts = new LinkedHashMap<>();
    private int ok;
    private int total;

    void record(String verb, boolean success) {
        int[] c = counts.computeIfAbsent(verb.toLowerCase(Locale.ROOT), k -> new int[2]);
        c[1]++;
        total++;
        if (success) {
            c[0]++;
            ok++;
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        counts.forEach((verb, c) -> sb.append(verb).append('=').append(pair(c[0], c[1])).append(' '));
        sb.append("commands=").append(pair(ok, total));
        return sb.toString();
    }

    private static String pair(int good, int all) {
        return good == all ? Integer.toString(all) : good + "/" + all;
    }
}

package dev.postern.protocol;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The argument of MAIL FROM / RCPT TO: the path between angle brackets and the ESMTP parameters
 * ({@code SIZE=1234 BODY=8BITMIME SMTPUTF8}); parameter names are upper-cased, values kept.
 */
public record PathArgument(String path, Map<String, String> parameters) {

    /**
     * Parses {@code FROM:<a@b> SIZE=1} (keyword "FROM") or {@code TO:<a@b>} (keyword "TO").
     * A space after the colon is tolerated, as most servers do.
     * @throws IllegalArgumentException when the syntax is wrong (reply 501)
     */
    public static PathArgument parse(String keyword, String argument) {
        String prefix = keyword + ":";
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new IllegalArgumentException("expected " + prefix);
        }
        String rest = argument.substring(prefix.length()).stripLeading();
        if (!rest.startsWith("<")) {
            throw new IllegalArgumentException("address must be in angle brackets");
        }
        int close = rest.indexOf('>');
        if (close < 0) {
            throw new IllegalArgumentException("missing '>'");
        }
        String path = rest.substring(1, close);
        Map<String, String> params = new LinkedHashMap<>();
        String tail = rest.substring(close + 1).strip();
        if (!tail.isEmpty()) {
            for (String p : tail.split(" +")) {
                int eq = p.indexOf('=');
                String name = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("bad parameter");
                }
                params.put(name, eq < 0 ? "" : p.substring(eq + 1));
            }
        }
        return new PathArgument(path, Map.copyOf(params));
    }
}

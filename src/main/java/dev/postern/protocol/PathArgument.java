package dev.postern.protocol;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The argument of MAIL FROM / RCPT TO: the path and the ESMTP parameters
 * ({@code SIZE=1234 BODY=8BITMIME SMTPUTF8}); parameter names are upper-cased, values kept.
 * {@code bracketed} says whether the path was between angle brackets, as RFC 5321 requires;
 * Postfix accepts a bare address too unless strict_rfc821_envelopes is set.
 */
public record PathArgument(String path, boolean bracketed, Map<String, String> parameters) {

    /**
     * Parses {@code FROM:<a@b> SIZE=1} (keyword "FROM") or {@code TO:<a@b>} (keyword "TO"), or the
     * same with a bare address ({@code FROM:a@b}), the address then ending at the first space as in
     * Postfix's command tokenizer. A space after the colon is tolerated, as Postfix does.
     * @throws IllegalArgumentException when the syntax is wrong (reply 501 5.5.4)
     */
    public static PathArgument parse(String keyword, String argument) {
        String prefix = keyword + ":";
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new IllegalArgumentException("expected " + prefix);
        }
        String rest = argument.substring(prefix.length()).stripLeading();
        String path;
        String tail;
        boolean bracketed = rest.startsWith("<");
        if (bracketed) {
            int close = rest.indexOf('>');
            if (close < 0) {
                throw new IllegalArgumentException("missing '>'");
            }
            path = rest.substring(1, close);
            tail = rest.substring(close + 1);
        } else {
            if (rest.isEmpty()) {
                throw new IllegalArgumentException("no address"); // smtpd.c: argc < 3
            }
            int space = rest.indexOf(' ');
            path = space < 0 ? rest : rest.substring(0, space);
            tail = space < 0 ? "" : rest.substring(space);
        }
        Map<String, String> params = new LinkedHashMap<>();
        tail = tail.strip();
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
        return new PathArgument(path, bracketed, Collections.unmodifiableMap(params)); // in order, as smtpd.c reads them
    }
}

package dev.postern.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The argument of MAIL FROM / RCPT TO split as Postfix's smtpd_token() splits it: the path and
 * the ESMTP parameters ({@code SIZE=1234 BODY=8BITMIME SMTPUTF8}) in the client's order, repeats
 * included. {@code bracketed} says whether the path was between angle brackets, as RFC 5321
 * requires (Postfix accepts a bare address too unless strict_rfc821_envelopes is set);
 * {@code malformed} marks a path whose '<' is never closed (smtpd.c: SMTPD_TOK_ERROR, refused as
 * a bad address, not as bad syntax).
 */
public record PathArgument(String path, boolean bracketed, boolean malformed, List<Parameter> parameters) {
    /** What separates words in a command, as smtpd_token() sees it (compiled once: this runs per MAIL and RCPT). */
    public static final Pattern WORDS = Pattern.compile("[ \t]+");

    /**
     * One parameter: {@code name} upper-cased, {@code value} after the first '=' (null when there
     * is no '='), and the word as the client wrote it (for "555 5.5.4 Unsupported option: ...").
     */
    public record Parameter(String name, String value, String written) {
        /** Whether this is {@code name=value} with this name (Postfix matches "SIZE=", "RET=", ...). */
        public boolean is(String keyword) {
            return value != null && name.equals(keyword);
        }
    }

    /**
     * Parses {@code FROM:<a@b> SIZE=1} (keyword "FROM") or {@code TO:<a@b>} (keyword "TO"), or the
     * same with a bare address ({@code FROM:a@b}), which then ends at the first space or tab. White
     * space after the colon is tolerated, as Postfix does.
     * @throws IllegalArgumentException when the syntax is wrong (reply 501 5.5.4 Syntax: ...)
     */
    public static PathArgument parse(String keyword, String argument) {
        String prefix = keyword + ":";
        if (!argument.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new IllegalArgumentException("expected " + prefix);
        }
        String rest = argument.substring(prefix.length()).stripLeading();
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("no address"); // smtpd.c: argc < 3
        }
        String path;
        String tail;
        boolean bracketed = rest.startsWith("<");
        boolean malformed = false;
        if (bracketed) {
            int close = rest.indexOf('>');
            malformed = close < 0;
            path = malformed ? rest.substring(1) : rest.substring(1, close);
            tail = malformed ? "" : rest.substring(close + 1);
        } else {
            int end = endOfWord(rest);
            path = rest.substring(0, end);
            tail = rest.substring(end);
        }
        List<Parameter> params = new ArrayList<>();
        for (String p : WORDS.split(tail.strip())) {
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            params.add(new Parameter((eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT),
                    eq < 0 ? null : p.substring(eq + 1), p));
        }
        return new PathArgument(path, bracketed, malformed, List.copyOf(params));
    }

    private static int endOfWord(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return s.length();
    }
}

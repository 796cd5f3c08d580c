package dev.postern.checks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What Postfix's mime_state_content_type() takes from a Content-Type header: the type, the
 * subtype and every {@code boundary=} parameter (several are illegal, and all are kept so a
 * message cannot hide a part behind the one a receiver would pick). Tokens as Postfix's
 * header_token() makes them: RFC 2045 tspecials are tokens of their own, quoted strings are one
 * token without their quotes, comments and white space separate.
 */
record MimeContentType(String type, String subtype, List<String> boundaries) {
    private static final String TSPECIALS = "()<>@,;:\\\"/[]?=";

    /** @param value the header's text after the colon (folded lines joined by newlines) */
    static MimeContentType parse(String value) {
        Tokens t = new Tokens(value);
        List<String> first = t.group();
        if (first == null) {
            first = List.of(); // "Content-Type:" with nothing after it
        }
        String type = first.size() >= 1 && isToken(first.get(0)) ? first.get(0).substring(1).toLowerCase(Locale.ROOT) : "";
        String subtype = first.size() >= 3 && first.get(1).equals("/") && isToken(first.get(2))
                ? first.get(2).substring(1).toLowerCase(Locale.ROOT) : "";
        List<String> boundaries = new ArrayList<>();
        if (type.equals("multipart")) {
            for (List<String> g = t.group(); g != null; g = t.group()) {
                if (g.size() >= 3 && isToken(g.get(0)) && g.get(0).substring(1).equalsIgnoreCase("boundary")
                        && g.get(1).equals("=")) {
                    boundaries.add(value(g.get(2))); // Postfix ignores the value's type (token, quoted, special)
                }
            }
        }
        return new MimeContentType(type, subtype, boundaries);
    }

    /** A word's text: a token's or quoted string's without its tag, a special character as itself. */
    private static String value(String word) {
        char tag = word.charAt(0);
        return (tag == 'T' || tag == 'Q') && (word.length() > 1 || tag == 'Q') ? word.substring(1) : word;
    }

    /** Words are kept with a one-character tag: 'T' for a token, 'Q' for a quoted string; specials (and controls) as themselves. */
    private static boolean isToken(String s) {
        return s.length() >= 1 && s.charAt(0) == 'T';
    }

    /** header_token(): one ';'-terminated group at a time; null once the text is used up. */
    private static final class Tokens {
        private final String s;
        private int i;

        Tokens(String s) {
            this.s = s;
        }

        List<String> group() {
            if (i >= s.length()) {
                return null;
            }
            List<String> out = new ArrayList<>();
            while (i < s.length()) {
                char c = s.charAt(i);
                if (c == ';') {
                    i++;
                    return out;
                } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                    i++;
                } else if (c == '(') {
                    skipComment();
                } else if (c == '"') {
                    out.add("Q" + quoted());
                } else if (TSPECIALS.indexOf(c) >= 0 || c < ' ' || c == 0x7f) {
                    out.add(String.valueOf(c));
                    i++;
                } else {
                    int start = i;
                    while (i < s.length() && s.charAt(i) > ' ' && s.charAt(i) != 0x7f && TSPECIALS.indexOf(s.charAt(i)) < 0) {
                        i++;
                    }
                    out.add("T" + s.substring(start, i));
                }
            }
            return out;
        }

        private void skipComment() {
            int depth = 0;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '\\' && i < s.length()) {
                    i++;
                } else if (c == '(') {
                    depth++;
                } else if (c == ')' && --depth == 0) {
                    return;
                }
            }
        }

        private String quoted() {
            StringBuilder b = new StringBuilder();
            i++; // the opening quote
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    break;
                } else if (c == '\\' && i < s.length()) {
                    b.append(s.charAt(i++));
                } else if (c == '\n') { // unfolded: the newline and the white space before it go
                    while (b.length() > 0 && " \t\r".indexOf(b.charAt(b.length() - 1)) >= 0) {
                        b.setLength(b.length() - 1);
                    }
                } else {
                    b.append(c);
                }
            }
            return b.toString();
        }
    }
}

package dev.postern.pickup;

import java.util.ArrayList;
import java.util.List;

/**
 * The addresses in an RFC 5322 address list ({@code To:}, {@code Cc:}, {@code Bcc:}, and
 * sendmail's command-line recipients, which Postfix parses the same way so that
 * {@code "a@x, Bob <b@y>"} is two recipients): display names, comments, quoted strings and groups
 * are understood; what comes back is each addr-spec, unqualified ones as written.
 */
public final class AddressList {
    private AddressList() {}

    /** One address found, and where {@code @domain} would go if it has none. */
    private record Found(String address, int end) {
    }

    public static List<String> parse(String text) {
        return scan(text).stream().map(Found::address).toList();
    }

    /**
     * The header value with {@code @origin} appended to every address without a domain
     * (Postfix's append_at_myorigin in header addresses); everything else is kept as written.
     */
    static String qualify(String text, String origin) {
        StringBuilder out = new StringBuilder(text);
        List<Found> found = scan(text);
        for (int i = found.size() - 1; i >= 0; i--) {
            Found f = found.get(i);
            if (f.address().indexOf('@') < 0) {
                out.insert(f.end(), "@" + origin);
            }
        }
        return out.toString();
    }

    private static List<Found> scan(String text) {
        List<Found> out = new ArrayList<>();
        StringBuilder plain = new StringBuilder();   // the addr-spec outside angle brackets
        int plainEnd = -1;                            // just after its last character
        StringBuilder angle = null;                   // inside <...>, when seen
        String angled = null;
        int angledEnd = -1;                           // the index of '>'
        int depth = 0;                                // comment nesting
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                (angle != null ? angle : plain).append(c);
                if (c == '\\' && i + 1 < text.length()) {
                    (angle != null ? angle : plain).append(text.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                }
                plainEnd = i + 1;
                continue;
            }
            if (depth > 0) {
                if (c == '\\') {
                    i++;
                } else if (c == '(') {
                    depth++;
                } else if (c == ')') {
                    depth--;
                }
                continue;
            }
            switch (c) {
                case '(' -> depth++;
                case '"' -> {
                    quoted = true;
                    (angle != null ? angle : plain).append(c);
                }
                case '<' -> angle = new StringBuilder();
                case '>' -> {
                    if (angle != null) {
                        angled = angle.toString();
                        angledEnd = i;
                        angle = null;
                    }
                }
                case ',', ';' -> {
                    if (angle != null) {
                        angle.append(c); // a source route's comma: "<@a,@b:u@d>"
                    } else {
                        add(out, angled, angledEnd, plain, plainEnd);
                        angled = null;
                        plain.setLength(0);
                    }
                }
                case ':' -> {
                    if (angle != null) {
                        angle.append(c);
                    } else {
                        plain.setLength(0); // "group-name:" starts a group; the name is no address
                    }
                }
                case ' ', '\t', '\r', '\n' -> {
                    if (angle == null && plain.length() > 0) {
                        plain.append(' '); // words of a display name, or a broken address: resolved in add()
                    }
                }
                default -> {
                    (angle != null ? angle : plain).append(c);
                    plainEnd = i + 1;
                }
            }
        }
        add(out, angled, angledEnd, plain, plainEnd);
        return out;
    }

    private static void add(List<Found> out, String angled, int angledEnd, StringBuilder plain, int plainEnd) {
        if (angled != null) {
            String a = angled.trim();
            if (a.startsWith("@")) { // source route: keep the mailbox after the colon
                int colon = a.indexOf(':');
                a = colon < 0 ? "" : a.substring(colon + 1);
            }
            if (!a.isEmpty()) {
                out.add(new Found(a, angledEnd));
            }
            return;
        }
        String a = plain.toString().trim().replace(" ", "");
        if (!a.isEmpty()) {
            out.add(new Found(a, plainEnd));
        }
    }
}

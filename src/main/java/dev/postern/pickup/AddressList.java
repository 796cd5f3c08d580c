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

    public static List<String> parse(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder plain = new StringBuilder();   // the addr-spec outside angle brackets
        StringBuilder angle = null;                   // inside <...>, when seen
        String angled = null;
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
                        angle = null;
                    }
                }
                case ',', ';' -> {
                    if (angle != null) {
                        angle.append(c); // a source route's comma: "<@a,@b:u@d>"
                    } else {
                        add(out, angled, plain);
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
                default -> (angle != null ? angle : plain).append(c);
            }
        }
        add(out, angled, plain);
        return out;
    }

    private static void add(List<String> out, String angled, StringBuilder plain) {
        String a;
        if (angled != null) {
            a = angled.trim();
            if (a.startsWith("@")) { // source route: keep the mailbox after the colon
                int colon = a.indexOf(':');
                a = colon < 0 ? "" : a.substring(colon + 1);
            }
        } else {
            a = plain.toString().trim().replace(" ", "");
        }
        if (!a.isEmpty()) {
            out.add(a);
        }
    }
}

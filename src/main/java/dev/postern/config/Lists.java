package dev.postern.config;

import java.util.ArrayList;
import java.util.List;

/** Postfix list splitting: commas and whitespace separate, text inside {...} stays together. */
public final class Lists {
    private Lists() {}

    public static List<String> split(String value) {
        return tokens(value, true);
    }

    /**
     * Commas, whitespace and colons separate: Postfix's separators for cipher exclusions and
     * certificate name matching (smtp_tls_exclude_ciphers = aNULL:MD5, smtp_tls_secure_cert_match =
     * nexthop:dot-nexthop), which OpenSSL users write with colons.
     */
    public static List<String> splitWithColons(String value) {
        List<String> out = new ArrayList<>();
        for (String word : split(value)) {
            for (String part : word.split(":")) {
                if (!part.isEmpty()) {
                    out.add(part);
                }
            }
        }
        return out;
    }

    /** Whitespace-separated words; a {...} group (which may contain spaces) is one word. */
    public static List<String> splitWords(String text) {
        return tokens(text, false);
    }

    private static List<String> tokens(String text, boolean commas) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int depth = 0;
        for (char c : text.toCharArray()) {
            if (c == '{') {
                depth++;
            } else if (c == '}' && depth > 0) {
                depth--;
            }
            if (depth == 0 && ((commas && c == ',') || Character.isWhitespace(c))) {
                if (cur.length() > 0) {
                    out.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        if (cur.length() > 0) {
            out.add(cur.toString());
        }
        return out;
    }
}

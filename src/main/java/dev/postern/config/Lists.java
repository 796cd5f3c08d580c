package dev.postern.config;

import java.util.ArrayList;
import java.util.List;

/** Postfix list splitting: commas and whitespace separate, text inside {...} stays together. */
public final class Lists {
    private Lists() {}

    public static List<String> split(String value) {
        return tokens(value, true);
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

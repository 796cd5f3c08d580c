package dev.postern.config;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;

/**
 * Postfix's $name expansion: {@code $name}, {@code ${name}}, {@code $(name)}, {@code ${name?text}}
 * (text if name is non-empty), {@code ${name:text}} (text if empty), and the
 * {@code ${{a} op {b} ? {x} : {y}}} comparisons Postfix uses for compatibility_level defaults.
 * Cycles are reported, not followed forever.
 */
final class Expander {
    private final Function<String, String> raw;
    private final Deque<String> stack = new ArrayDeque<>();

    Expander(Function<String, String> raw) {
        this.raw = raw;
    }

    String expandName(String name) {
        if (stack.contains(name)) {
            throw new IllegalArgumentException("parameter " + name + " refers to itself through " + String.join(" -> ", stack));
        }
        stack.push(name);
        try {
            return expand(raw.apply(name));
        } finally {
            stack.pop();
        }
    }

    String expand(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
                continue;
            }
            char n = text.charAt(i + 1);
            if (n == '$') {
                out.append('$');
                i += 2;
            } else if (n == '{' || n == '(') {
                char close = n == '{' ? '}' : ')';
                int end = matching(text, i + 1, n, close);
                String inner = text.substring(i + 2, end);
                out.append(n == '{' && inner.startsWith("{") ? comparison(inner) : braced(inner));
                i = end + 1;
            } else if (Character.isLetterOrDigit(n) || n == '_') {
                int j = i + 1;
                while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || text.charAt(j) == '_')) {
                    j++;
                }
                out.append(expandName(text.substring(i + 1, j)));
                i = j;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private String braced(String inner) {
        int q = inner.indexOf('?');
        int colon = inner.indexOf(':');
        if (q > 0 && (colon < 0 || q < colon)) {
            boolean set = !expandName(inner.substring(0, q)).isEmpty();
            String rest = inner.substring(q + 1);
            if (rest.startsWith("{")) {
                // Postfix 3.0: ${name?{value}:{value}} (as in smtpd_timeout = ${stress?{10}:{300}}s)
                int xEnd = matching(rest, 0, '{', '}');
                String after = rest.substring(xEnd + 1).strip();
                String otherwise = after.startsWith(":") ? stripBraces(after.substring(1).strip()) : "";
                return expand(set ? rest.substring(1, xEnd) : otherwise);
            }
            return set ? expand(stripBraces(rest)) : "";
        }
        if (colon > 0) {
            return expandName(inner.substring(0, colon)).isEmpty() ? expand(stripBraces(inner.substring(colon + 1))) : "";
        }
        return expandName(inner);
    }

    /** {@code {a} op {b} ? {x} : {y}} */
    private String comparison(String inner) {
        int p = 0;
        int aEnd = matching(inner, p, '{', '}');
        String a = expand(inner.substring(p + 1, aEnd)).strip();
        p = aEnd + 1;
        int bStart = inner.indexOf('{', p);
        String op = inner.substring(p, bStart).strip();
        int bEnd = matching(inner, bStart, '{', '}');
        String b = expand(inner.substring(bStart + 1, bEnd)).strip();
        int xStart = inner.indexOf('{', inner.indexOf('?', bEnd));
        int xEnd = matching(inner, xStart, '{', '}');
        int yStart = inner.indexOf('{', inner.indexOf(':', xEnd));
        int yEnd = matching(inner, yStart, '{', '}');
        int cmp = compareLevels(a, b);
        boolean result = switch (op) {
            case "<" -> cmp < 0;
            case "<=" -> cmp <= 0;
            case ">" -> cmp > 0;
            case ">=" -> cmp >= 0;
            case "==" -> cmp == 0;
            case "!=" -> cmp != 0;
            default -> throw new IllegalArgumentException("unknown operator " + op + " in ${{...}}");
        };
        return expand(result ? inner.substring(xStart + 1, xEnd) : inner.substring(yStart + 1, yEnd)).strip();
    }

    /** Compares compatibility levels like "3.6", "2", "3.10.1" component by component. */
    static int compareLevels(String a, String b) {
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int xi = i < x.length ? parse(x[i]) : 0;
            int yi = i < y.length ? parse(y[i]) : 0;
            if (xi != yi) {
                return Integer.compare(xi, yi);
            }
        }
        return 0;
    }

    private static int parse(String s) {
        try {
            return Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String stripBraces(String s) {
        String t = s.strip();
        return t.startsWith("{") && t.endsWith("}") ? t.substring(1, t.length() - 1) : t;
    }

    private static int matching(String s, int open, char o, char c) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == o) {
                depth++;
            } else if (s.charAt(i) == c && --depth == 0) {
                return i;
            }
        }
        throw new IllegalArgumentException("unbalanced '" + o + "' in \"" + s + "\"");
    }
}

package dev.postern.maps;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** {@code inline:{ key=value, { key = value with spaces } }} and {@code static:value}. */
final class InlineTable implements LookupTable {
    private final String spec;
    private final Map<String, String> entries;
    private final String staticValue;

    private InlineTable(String spec, Map<String, String> entries, String staticValue) {
        this.spec = spec;
        this.entries = entries;
        this.staticValue = staticValue;
    }

    static InlineTable inline(String spec, String body) {
        String t = body.strip();
        if (!t.startsWith("{") || !t.endsWith("}")) {
            throw new IllegalArgumentException(spec + ": expected inline:{ key=value, ... }");
        }
        Map<String, String> m = new HashMap<>();
        for (String item : splitItems(t.substring(1, t.length() - 1))) {
            String it = item.strip();
            if (it.startsWith("{") && it.endsWith("}")) {
                it = it.substring(1, it.length() - 1).strip();
            }
            int eq = it.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(spec + ": \"" + item.strip() + "\" is not key=value");
            }
            m.put(it.substring(0, eq).strip().toLowerCase(Locale.ROOT), it.substring(eq + 1).strip());
        }
        return new InlineTable(spec, Map.copyOf(m), null);
    }

    static InlineTable constant(String spec, String value) {
        String v = value.strip();
        if (v.startsWith("{") && v.endsWith("}")) {
            v = v.substring(1, v.length() - 1).strip();
        }
        return new InlineTable(spec, Map.of(), v);
    }

    private static java.util.List<String> splitItems(String s) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
            }
            if ((c == ',' || (Character.isWhitespace(c) && depth == 0 && cur.toString().strip().endsWith("}"))) && depth == 0) {
                if (!cur.toString().isBlank()) {
                    out.add(cur.toString());
                }
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) {
            out.add(cur.toString());
        }
        return out;
    }

    /** Every key and value (for {@link TableEntries}); a static table is one entry with key "*". */
    Map<String, String> all() {
        return staticValue != null ? Map.of("*", staticValue) : entries;
    }

    @Override
    public Optional<String> lookup(String key) {
        if (staticValue != null) {
            return Optional.of(staticValue);
        }
        return Optional.ofNullable(entries.get(key.toLowerCase(Locale.ROOT)));
    }

    @Override
    public String spec() {
        return spec;
    }
}

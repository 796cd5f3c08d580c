package dev.postern.maps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * postmap(1) source syntax: {@code key whitespace value}; '#' comment lines and blank lines
 * ignored; a line starting with whitespace continues the previous entry; a key may be quoted
 * ({@code "a b" value}).
 */
final class SourceFile {
    record Entry(String key, String value, int line) {
    }

    /** One logical line of a table file: its text (continuations joined with a space) and first line number. */
    record Line(String text, int line) {
    }

    private SourceFile() {}

    /**
     * Logical lines as Postfix's readllines(): blank and '#' lines are skipped, a line starting
     * with whitespace continues the previous logical line.
     */
    static List<Line> logicalLines(Path file) throws IOException {
        List<Line> out = new ArrayList<>();
        // One pass, streaming: a logical line is a String until a continuation needs a builder
        // (a 1,000,000-entry table should cost one String per line, not three).
        try (java.io.BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String cur = null;
            StringBuilder joined = null;
            int start = 0;
            int n = 0;
            String l;
            while ((l = in.readLine()) != null) {
                n++;
                String t = l.strip();
                if (t.isEmpty() || t.charAt(0) == '#') {
                    continue;
                }
                if (Character.isWhitespace(l.charAt(0)) && cur != null) {
                    if (joined == null) {
                        joined = new StringBuilder(cur);
                    }
                    joined.append(' ').append(t);
                    continue;
                }
                if (cur != null) {
                    out.add(new Line(joined == null ? cur : joined.toString(), start));
                }
                cur = t;
                joined = null;
                start = n;
            }
            if (cur != null) {
                out.add(new Line(joined == null ? cur : joined.toString(), start));
            }
        }
        return out;
    }

    static List<Entry> read(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (Line l : logicalLines(file)) {
            out.add(entry(file, l.text(), l.line()));
        }
        return out;
    }

    private static Entry entry(Path file, String text, int line) {
        String key;
        String rest;
        if (text.startsWith("\"")) {
            int close = text.indexOf('"', 1);
            if (close < 0) {
                throw new IllegalArgumentException(file + ":" + line + ": unbalanced quote in key; close the \"");
            }
            key = text.substring(1, close);
            rest = text.substring(close + 1);
        } else {
            int sp = firstSpace(text);
            key = sp < 0 ? text : text.substring(0, sp);
            rest = sp < 0 ? "" : text.substring(sp);
        }
        String value = rest.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException(file + ":" + line + ": expected \"key whitespace value\" but found no value");
        }
        return new Entry(key, value, line);
    }

    private static int firstSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}

package dev.postern.maps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every entry of a table with the file and line it comes from, so a caller that gives values a
 * meaning (TLS policies, transports) can check them all at {@code postern check} and name the
 * line at fault. Inline and static tables have no file ({@code file} null, line 0); for regexp
 * and cidr tables the key is the pattern or network as written.
 */
public final class TableEntries {
    public record Entry(String key, String value, Path file, int line) {
        /** {@code file:line} or the table's spec when it has no file. */
        public String where(String spec) {
            return file == null ? spec : file + ":" + line;
        }
    }

    private TableEntries() {}

    /** @throws IllegalArgumentException naming file:line for syntax errors or unreadable files */
    public static List<Entry> of(String spec) {
        int colon = spec.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("table \"" + spec + "\" needs a type, e.g. hash:" + spec);
        }
        String type = spec.substring(0, colon).toLowerCase(Locale.ROOT);
        String name = spec.substring(colon + 1);
        Path file = Path.of(name);
        List<Entry> out = new ArrayList<>();
        try {
            switch (type) {
                case "hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash" -> {
                    for (SourceFile.Entry e : SourceFile.read(file)) {
                        out.add(new Entry(e.key(), e.value(), file, e.line()));
                    }
                }
                case "inline", "static" -> {
                    InlineTable t = type.equals("inline") ? InlineTable.inline(spec, name) : InlineTable.constant(spec, name);
                    for (Map.Entry<String, String> e : t.all().entrySet()) {
                        out.add(new Entry(e.getKey(), e.getValue(), null, 0));
                    }
                }
                case "regexp", "pcre" -> {
                    try {
                        out.addAll(((RegexpTable) Maps.open(spec)).entries()); // the table's own parse
                    } catch (LookupException e) {
                        throw new IllegalArgumentException(e.getMessage(), e);
                    }
                }
                case "cidr" -> {
                    Maps.open(spec); // its own syntax check first
                    for (SourceFile.Line l : SourceFile.logicalLines(file)) {
                        String[] kv = patternAndValue(l.text());
                        if (kv != null) {
                            out.add(new Entry(kv[0], kv[1], file, l.line()));
                        }
                    }
                }
                default -> Maps.open(spec); // throws: unsupported type
            }
        } catch (IOException e) {
            throw new IllegalArgumentException(spec + ": cannot read " + file + ": " + e.getMessage());
        }
        return out;
    }

    /** {network, value}, or null for a line without a value. */
    private static String[] patternAndValue(String text) {
        int end = 0;
        while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
            end++;
        }
        String value = text.substring(end).strip();
        return value.isEmpty() ? null : new String[] {text.substring(0, end), value};
    }
}

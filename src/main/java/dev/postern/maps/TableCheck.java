package dev.postern.maps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code postern map} reports for a table: its entry count and warnings (duplicates; a regexp table's
 * unbalanced if/endif). */
public final class TableCheck {
    public record Result(int entries, List<String> warnings) {
    }

    /** One entry as the server uses it: the case-folded key and its value. */
    public record Entry(String key, String value) {
    }

    private TableCheck() {}

    /**
     * postmap -s: the entries of an indexed table (hash, texthash, ...) as lookups see them, in
     * file order: keys case-folded, the first of duplicate keys kept.
     * @throws IllegalArgumentException for other table types, syntax errors or unreadable files
     */
    public static List<Entry> dump(String spec) {
        int colon = spec.indexOf(':');
        String type = colon < 0 ? "" : spec.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!List.of("hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash").contains(type)) {
            throw new IllegalArgumentException(spec + ": -s lists indexed tables only (hash, texthash, lmdb, btree,"
                    + " cdb, dbm); read the file itself for " + type + " tables");
        }
        Path file = Path.of(spec.substring(colon + 1));
        try {
            java.util.Set<String> seen = new java.util.HashSet<>();
            List<Entry> out = new ArrayList<>();
            for (SourceFile.Entry e : SourceFile.read(file)) {
                String k = e.key().toLowerCase(Locale.ROOT);
                if (seen.add(k)) {
                    out.add(new Entry(k, e.value()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException(spec + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    /** @throws IllegalArgumentException naming file:line for syntax errors or unreadable files */
    public static Result check(String spec) {
        int colon = spec.indexOf(':');
        String type = spec.substring(0, colon).toLowerCase(Locale.ROOT);
        Path file = Path.of(spec.substring(colon + 1));
        switch (type) {
            case "hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash" -> {
                List<String> warnings = new ArrayList<>();
                try {
                    int n = TextTable.parse(file, warnings).size();
                    return new Result(n, warnings);
                } catch (IOException e) {
                    throw new IllegalArgumentException(spec + ": cannot read " + file + ": " + e.getMessage());
                }
            }
            default -> {
                LookupTable t = Maps.open(spec);
                try {
                    // regexp/pcre: what Postfix warns about but uses (an if without endif, a stray endif)
                    return new Result(-1, t instanceof RegexpTable r ? r.warnings() : List.of());
                } catch (LookupException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            }
        }
    }
}

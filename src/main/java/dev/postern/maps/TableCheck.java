package dev.postern.maps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** What {@code postern map} reports for a table: its entry count and warnings (duplicates). */
public final class TableCheck {
    public record Result(int entries, List<String> warnings) {
    }

    private TableCheck() {}

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
                Maps.open(spec);
                return new Result(-1, List.of());
            }
        }
    }
}

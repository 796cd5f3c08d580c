package dev.postern.maps;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code hash:}, {@code texthash:} (and lmdb/btree/cdb) tables, read from the postmap source file
 * itself. Lookups read an immutable snapshot; {@link TableWatcher} re-reads the file in the
 * background when it changes, so an edited table takes effect within about a second without
 * postmap, a Makefile or a reload. A table that no longer parses or cannot be read keeps its
 * previous contents and logs why. Keys are case-folded, as postmap does.
 */
final class TextTable implements LookupTable {
    private final String spec;
    private final WatchedFile<Map<String, String>> entries;

    TextTable(String spec, Path file) {
        this.spec = spec;
        // A missing file is answered as a temporary failure, like Postfix's "is unavailable".
        this.entries = new WatchedFile<>(spec, file, f -> Collections.unmodifiableMap(parse(f, null)), true);
    }

    /** Parses a source file; duplicates: first wins, reported in {@code warnings}. */
    static Map<String, String> parse(Path file, List<String> warnings) throws IOException {
        List<SourceFile.Entry> read = SourceFile.read(file);
        Map<String, String> m = new HashMap<>(Math.max(16, read.size() * 4 / 3 + 1));
        for (SourceFile.Entry e : read) {
            String k = e.key().toLowerCase(Locale.ROOT);
            if (m.putIfAbsent(k, e.value()) != null && warnings != null) {
                warnings.add(file + ":" + e.line() + ": duplicate entry: \"" + e.key() + "\" (the first one is used)");
            }
        }
        return m;
    }

    @Override
    public Optional<String> lookup(String key) throws LookupException {
        return Optional.ofNullable(entries.current().get(key.toLowerCase(Locale.ROOT)));
    }

    @Override
    public String spec() {
        return spec;
    }
}

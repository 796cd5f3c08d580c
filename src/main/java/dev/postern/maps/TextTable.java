package dev.postern.maps;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code hash:}, {@code texthash:} (and lmdb/btree/cdb) tables, read from the postmap source file
 * itself. The file is re-read when its mtime or size changes (checked at most once a second), so
 * an edited table takes effect without postmap, a Makefile or a reload. A table that no longer
 * parses keeps its previous contents and logs why. Keys are case-folded, as postmap does.
 */
final class TextTable implements LookupTable {
    private static final Logger LOG = LoggerFactory.getLogger(TextTable.class);

    private final String spec;
    private final Path file;
    private volatile Map<String, String> entries;
    private volatile long stamp = Long.MIN_VALUE;
    private volatile long checkedAt;

    TextTable(String spec, Path file) {
        this.spec = spec;
        this.file = file;
        try {
            reload(true);
        } catch (NoSuchFileException e) {
            entries = null; // answered as a temporary failure, like Postfix's "is unavailable"
        } catch (IOException e) {
            throw new IllegalArgumentException(spec + ": cannot read " + file + ": " + e.getMessage());
        }
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

    private synchronized void reload(boolean strict) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        long s = a.lastModifiedTime().toMillis() * 31 + a.size();
        if (s == stamp && entries != null) {
            return;
        }
        try {
            entries = parse(file, null);
            stamp = s;
        } catch (IllegalArgumentException e) {
            if (strict || entries == null) {
                throw e;
            }
            LOG.warn("{}: keeping the previous contents: {}", spec, e.getMessage());
            stamp = s;
        }
    }

    @Override
    public Optional<String> lookup(String key) throws LookupException {
        long now = System.currentTimeMillis();
        if (now - checkedAt > 1000) {
            checkedAt = now;
            try {
                reload(false);
            } catch (NoSuchFileException e) {
                throw new LookupException(spec + " is unavailable: " + file + ": No such file or directory");
            } catch (IOException e) {
                throw new LookupException(spec + " is unavailable: " + e.getMessage());
            }
        }
        Map<String, String> m = entries;
        if (m == null) {
            throw new LookupException(spec + " is unavailable: " + file + ": No such file or directory");
        }
        return Optional.ofNullable(m.get(key.toLowerCase(Locale.ROOT)));
    }

    @Override
    public String spec() {
        return spec;
    }
}

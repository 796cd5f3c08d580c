package dev.postern.maps;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A table file's parsed contents as an immutable snapshot behind a volatile reference. Lookups
 * read {@link #current()} and never touch the file or take a lock; {@link TableWatcher}'s thread
 * calls {@link #refresh} when the directory reports a change and once a second (stat only), and
 * swaps in a new snapshot when the file's identity, mtime or size changed. A file that becomes
 * unreadable or no longer parses keeps the last good snapshot, with one warning until it recovers.
 * Warnings name file:line only, never a line's text: the table may hold passwords.
 */
final class WatchedFile<T> {
    private static final Logger LOG = LoggerFactory.getLogger(WatchedFile.class);

    /** Reads the whole file; {@link IllegalArgumentException} (file:line, no line text) for syntax errors. */
    interface Parser<T> {
        T parse(Path file) throws IOException;
    }

    private final String spec;
    private final Path file;
    private final Parser<T> parser;
    private volatile T snapshot; // null until the file could be read once

    // Touched by the watcher thread only (and the constructor before registration).
    private Object stamp;
    private boolean warned;
    /** The version at {@link #stamp} did not parse, and was warned about. */
    private boolean brokenWarned;

    /**
     * Reads the file now. A missing file is allowed when {@code missingOk} (lookups then fail
     * temporarily until it appears); any other problem is an {@link IllegalArgumentException}.
     */
    WatchedFile(String spec, Path file, Parser<T> parser, boolean missingOk) {
        this.spec = spec;
        this.file = file;
        this.parser = parser;
        try {
            stamp = stamp(file);
            snapshot = parser.parse(file);
        } catch (NoSuchFileException e) {
            if (!missingOk) {
                throw new IllegalArgumentException(spec + ": cannot read " + file + ": No such file or directory");
            }
            stamp = null;
        } catch (IOException e) {
            throw new IllegalArgumentException(spec + ": cannot read " + file + ": " + e.getMessage());
        }
        TableWatcher.instance().register(this);
    }

    Path file() {
        return file;
    }

    /** The latest good contents. */
    T current() throws LookupException {
        TableWatcher.instance().lookedUp(); // a round soon if the last is a second old (never blocks)
        T s = snapshot;
        if (s == null) {
            throw new LookupException(spec + " is unavailable: " + file + ": No such file or directory");
        }
        return s;
    }

    /**
     * Re-reads the file if it changed (or always, when {@code force}); watcher thread only. Returns
     * false when the file changed less than {@code settleMillis} ago: it may be half written (an
     * editor or a script that truncates, then writes), so it is read at a later round instead.
     */
    synchronized boolean refresh(boolean force, long settleMillis) {
        Object now;
        try {
            now = stamp(file);
        } catch (IOException e) {
            warnOnce("cannot read " + file + " (" + reason(e) + "); keeping the previous contents");
            return true;
        }
        if (!force && now.equals(stamp) && snapshot != null) {
            return true;
        }
        long age = System.currentTimeMillis() - mtimeMillis(now);
        if (age >= 0 && age < settleMillis) { // (a modification time in the future: another clock; read now)
            return false;
        }
        try {
            T fresh = parser.parse(file);
            stamp = now;
            snapshot = fresh;
            brokenWarned = false;
            if (warned) {
                LOG.info("{}: {} is readable again; using its new contents", spec, file);
            }
            warned = false;
        } catch (IOException e) {
            warnOnce("cannot read " + file + " (" + reason(e) + "); keeping the previous contents");
        } catch (IllegalArgumentException e) {
            // A broken edit: warn once for this version of the file (a forced re-read of the same
            // version, after a watch event and a lookup's round both saw it, says nothing new),
            // look again when the file changes next.
            if (!now.equals(stamp) || !brokenWarned) {
                LOG.warn("{}: keeping the previous contents: {}", spec, e.getMessage());
            }
            stamp = now;
            brokenWarned = true;
        }
        return true;
    }

    private static long mtimeMillis(Object stamp) {
        return ((Long) ((java.util.List<?>) stamp).get(1)) / 1_000_000L;
    }

    private void warnOnce(String what) {
        if (!warned) {
            warned = true;
            LOG.warn("{}: {}", spec, what);
        }
    }

    private static String reason(IOException e) {
        return e instanceof NoSuchFileException ? "No such file or directory"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** What identifies one version of the file: inode, mtime to the nanosecond, size. */
    private static Object stamp(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return java.util.List.of(Objects.requireNonNullElse(a.fileKey(), ""),
                a.lastModifiedTime().to(TimeUnit.NANOSECONDS), a.size());
    }
}

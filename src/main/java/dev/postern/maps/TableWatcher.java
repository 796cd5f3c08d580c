package dev.postern.maps;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The one thread that keeps every table file's snapshot current, so that lookups (on smtpd's
 * event loops, in RCPT checks) never stat or read a file. The directories of table files are
 * watched (inotify on Linux) for an early reload, and every file is stat'ed once a second anyway:
 * watch events can be lost (overflow, network file systems, a directory created later). Tables
 * are held weakly: a table nobody uses any more (an old configuration, {@code postern check})
 * stops being watched when it is collected.
 */
final class TableWatcher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TableWatcher.class);
    static final long PERIOD_MILLIS = 1000;
    private static final long SETTLE_MILLIS = 100;
    private static final TableWatcher INSTANCE = new TableWatcher();

    private final Set<WeakReference<WatchedFile<?>>> files = ConcurrentHashMap.newKeySet();
    private final Map<Path, Boolean> watchedDirs = new ConcurrentHashMap<>();
    private final WatchService watch;
    private Thread thread;
    private volatile long rounds;

    private TableWatcher() {
        WatchService w = null;
        try {
            w = FileSystems.getDefault().newWatchService();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.info("table files are checked once a second (no file system watch: {})", e.getMessage());
        }
        watch = w;
    }

    static TableWatcher instance() {
        return INSTANCE;
    }

    /** Completed check rounds, so tests can wait for the watcher instead of sleeping. */
    long rounds() {
        return rounds;
    }

    synchronized void register(WatchedFile<?> f) {
        files.add(new WeakReference<>(f));
        Path dir = f.file().toAbsolutePath().getParent();
        if (watch != null && dir != null && watchedDirs.putIfAbsent(dir, Boolean.TRUE) == null) {
            try {
                dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
            } catch (IOException e) {
                watchedDirs.remove(dir); // not there yet: the periodic stat covers it, and a later table retries
            }
        }
        if (thread == null) {
            thread = new Thread(this, "postern-tables");
            thread.setDaemon(true);
            thread.start();
        }
    }

    @Override
    public void run() {
        while (true) {
            Set<Path> changed = new HashSet<>();
            try {
                WatchKey key = watch == null ? null : watch.poll(PERIOD_MILLIS, TimeUnit.MILLISECONDS);
                if (watch == null) {
                    Thread.sleep(PERIOD_MILLIS);
                }
                while (key != null) {
                    Path dir = (Path) key.watchable();
                    for (WatchEvent<?> e : key.pollEvents()) {
                        if (e.context() instanceof Path name) {
                            changed.add(dir.resolve(name));
                        }
                    }
                    if (!key.reset()) {
                        watchedDirs.remove(dir);
                    }
                    // Let a write settle (truncate, then write): read once no event came for a moment.
                    key = watch.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            refreshAll(changed);
            rounds++;
        }
    }

    private void refreshAll(Set<Path> changed) {
        for (WeakReference<WatchedFile<?>> ref : files) {
            WatchedFile<?> f = ref.get();
            if (f == null) {
                files.remove(ref);
                continue;
            }
            try {
                // A reported change is re-read even when mtime and size look the same (same-second edits).
                f.refresh(changed.contains(f.file().toAbsolutePath()));
            } catch (RuntimeException e) {
                LOG.warn("{}: reload failed: {}", f.file(), e.toString());
            }
        }
    }
}

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The one thread that keeps every table file's snapshot current, so that lookups (on smtpd's
 * event loops, in RCPT checks) never stat or read a file. The directories of table files are
 * watched (inotify on Linux): an edit is read at once. A round (every file stat'ed, the reported
 * ones read again) also runs when a lookup finds the last round a second old, as a Postfix daemon
 * looks at its tables after a request: an event lost (a network file system's remote edit) delays
 * an edit by one lookup, never for good. A file whose directory cannot be watched (not there yet,
 * no watch at all) is stat'ed once a second, as before. An idle daemon with every directory
 * watched makes no round at all: it was woken every second to stat each table. Tables are held
 * weakly: a table nobody uses any more (an old configuration, {@code postern check}) stops being
 * watched when it is collected.
 */
final class TableWatcher implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(TableWatcher.class);
    static final long PERIOD_MILLIS = 1000;
    private static final long PERIOD_NANOS = PERIOD_MILLIS * 1_000_000L;
    private static final long SETTLE_MILLIS = 100;
    private static final TableWatcher INSTANCE = new TableWatcher();

    private final Set<WeakReference<WatchedFile<?>>> files = ConcurrentHashMap.newKeySet();
    private final Map<Path, Boolean> watchedDirs = new ConcurrentHashMap<>();
    private final WatchService watch;
    private volatile Thread thread;
    private volatile long rounds;
    /** Rounds run, complete or not (tests). */
    private volatile long attempts;
    private volatile long lastRound = System.nanoTime();
    /** A round is wanted now (an event, a lookup, a new table); the checker clears it as it starts one. */
    private final AtomicBoolean requested = new AtomicBoolean();
    /** Files reported by the watch since the last round: read again even if mtime and size look the same. */
    private final Set<Path> reported = ConcurrentHashMap.newKeySet();

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

    /** Completed check rounds (none left a file unread), so tests can wait for the watcher instead of sleeping. */
    long rounds() {
        return rounds;
    }

    /** Rounds run, also those that left a file changed a moment ago for later (tests). */
    long attempts() {
        return attempts;
    }

    /**
     * From a lookup (any thread, never blocks): a round soon if the last one is a second old.
     * Costs a clock read and a volatile read when it is not.
     */
    void lookedUp() {
        if (System.nanoTime() - lastRound > PERIOD_NANOS) {
            checkNow();
        }
    }

    /** A round now, whatever the time (a new table, an event; tests). */
    void checkNow() {
        if (requested.compareAndSet(false, true) && thread != null) {
            LockSupport.unpark(thread);
        }
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
            if (watch != null) {
                Thread events = new Thread(this::events, "postern-tables-watch");
                events.setDaemon(true);
                events.start();
            }
        }
        if (!everyDirectoryWatched()) {
            checkNow(); // the checker, perhaps asleep for good, starts its once-a-second look
        }
    }

    /** The checker: a round when asked, and once a second while a file's directory is not watched. */
    @Override
    public void run() {
        Set<Path> unsettled = Set.of();
        while (true) {
            if (!requested.getAndSet(false)) {
                if (!unsettled.isEmpty()) {
                    LockSupport.parkNanos(this, SETTLE_MILLIS * 1_000_000L); // a file that changed a moment ago
                } else if (everyDirectoryWatched()) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, PERIOD_NANOS);
                }
                requested.set(false);
            }
            Set<Path> changed = new HashSet<>(unsettled); // still reported: read when settled, even with the same stamp
            for (java.util.Iterator<Path> it = reported.iterator(); it.hasNext(); ) {
                changed.add(it.next());
                it.remove();
            }
            unsettled = refreshAll(changed);
            lastRound = System.nanoTime();
            attempts++;
            if (unsettled.isEmpty()) {
                rounds++; // a round that read everything it had to
            }
        }
    }

    /** The watch's thread: waits for events (in poll(2), no timeout) and hands them to the checker. */
    private void events() {
        while (true) {
            Set<Path> changed = new HashSet<>();
            try {
                WatchKey key = watch.take();
                while (key != null) {
                    Path dir = (Path) key.watchable();
                    for (WatchEvent<?> e : key.pollEvents()) {
                        if (e.context() instanceof Path name) {
                            changed.add(dir.resolve(name));
                        } else if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
                            changed.addAll(allFiles()); // events were lost: read every file again
                        }
                    }
                    if (!key.reset()) {
                        watchedDirs.remove(dir); // the directory is gone: its files are stat'ed every second now
                    }
                    // Let a write settle (truncate, then write): read once no event came for a moment.
                    key = watch.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            reported.addAll(changed); // once settled, not while a file is half written
            checkNow();
        }
    }

    private Set<Path> allFiles() {
        Set<Path> all = new HashSet<>();
        for (WeakReference<WatchedFile<?>> ref : files) {
            WatchedFile<?> f = ref.get();
            if (f != null) {
                all.add(f.file().toAbsolutePath());
            }
        }
        return all;
    }

    private boolean everyDirectoryWatched() {
        if (watch == null) {
            return false;
        }
        for (WeakReference<WatchedFile<?>> ref : files) {
            WatchedFile<?> f = ref.get();
            Path dir = f == null ? null : f.file().toAbsolutePath().getParent();
            if (dir != null && !watchedDirs.containsKey(dir)) {
                return false;
            }
        }
        return true;
    }

    /** One round; returns the reported files not read because they changed a moment ago (read at the next round). */
    private Set<Path> refreshAll(Set<Path> changed) {
        Set<Path> unsettled = new HashSet<>();
        for (WeakReference<WatchedFile<?>> ref : files) {
            WatchedFile<?> f = ref.get();
            if (f == null) {
                files.remove(ref);
                continue;
            }
            Path p = f.file().toAbsolutePath();
            try {
                // A reported change is re-read even when mtime and size look the same (same-second edits).
                if (!f.refresh(changed.contains(p), SETTLE_MILLIS)) {
                    unsettled.add(p);
                }
            } catch (RuntimeException e) {
                LOG.warn("{}: reload failed: {}", f.file(), e.toString());
            }
        }
        return unsettled;
    }
}

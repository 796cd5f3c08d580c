package dev.postern.queue;

import dev.postern.util.AtomicFile;
import dev.postern.util.DemandTimer;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code recycle/}: files of delivered mail, kept for new messages to reuse.
 * Creating a file costs an inode allocation, which on ext4 (worst without a journal) scans past
 * recently deleted inodes: at hundreds of messages per second that was an eighth of Postern's CPU
 * (perf, bench/profile-postern.sh). Reusing the file of a delivered message costs one rename
 * instead (written in place here, then renamed to incoming/ID). A small file (at most
 * {@link SpoolWriter#HOLD}, 64 KiB) is kept as it is: the next message overwrites it in place and
 * cuts what is left of the old one at commit, so no blocks are freed here and allocated again
 * there, and the settle thread does not open each file to empty it (bench/ab-postern.sh: CPU
 * 0.87–0.95, one sleep per message less). A large file, and a small one not reused within
 * {@link #KEEP_UNUSED}, is emptied by the settle thread (an ext4 truncate may wait for the
 * journal: not on a delivery thread): recycle/ holds at most {@link #LIMIT} × 64 KiB, and a
 * delivered message's bytes stay there at most that long unless overwritten. A file is reused only
 * once its move out of active/ is durable ({@link #settle}), so a crash cannot bring back an old
 * queue name holding a new message; at start every file here is emptied.
 */
final class RecycleBin implements AutoCloseable {
    /** Enough for the messages in flight; more are deleted. */
    static final int LIMIT = 256;
    /** How long a small file waits for reuse with a delivered message's bytes in it before it is emptied. */
    static final java.time.Duration KEEP_UNUSED = java.time.Duration.ofSeconds(10);

    /** A file ready for reuse, since when it waits, and whether it is empty. */
    private record Kept(Path file, long since, boolean empty) {
    }

    private final Path dir;
    private final Path active;
    /** Ready for reuse: their move into recycle/ is durable. */
    private final ConcurrentLinkedQueue<Kept> recycled = new ConcurrentLinkedQueue<>();
    /** Moved into recycle/ but not yet fsync'd there: must not be overwritten. */
    private final ConcurrentLinkedQueue<Path> settling = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    /** Directories with renames not yet fsync'd (deferrals): synced by the next settle, see {@link Spool#defer}. */
    private final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService settler;
    /** Settles every settleEvery while there is something to settle or empty, never when idle. */
    private final DemandTimer settles;

    RecycleBin(Path dir, Path active, java.time.Duration settleEvery) throws IOException {
        this.dir = dir;
        this.active = active;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path f : ds) {
                // A file still linked elsewhere (a crash between a reuse's renames, on a file system
                // that made only one directory durable) is a live message: drop only this name.
                Object links = Files.getAttribute(f, "unix:nlink");
                if (links instanceof Integer n && n > 1) {
                    Files.delete(f);
                    continue;
                }
                if (count.get() < LIMIT) {
                    if (truncate(f)) { // whatever it holds: a delivered message, or one a crash interrupted
                        recycled.add(new Kept(f, System.nanoTime(), true));
                        count.incrementAndGet();
                    }
                } else {
                    Files.deleteIfExists(f);
                }
            }
        }
        this.settler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spool-recycle");
            t.setDaemon(true);
            return t;
        });
        this.settles = new DemandTimer(settler, settleEvery, () -> {
            settle();
            return workLeft();
        });
    }

    /** Removals not yet durable or not yet offered, or a kept file still to be emptied. */
    private boolean workLeft() {
        if (!settling.isEmpty() || !unsynced.isEmpty()) {
            return true;
        }
        for (Kept k : recycled) {
            if (!k.empty()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes the latest removals durable, then offers their files for reuse. Overwriting a file
     * whose move out of active/ might not be on disk yet could, after a crash, bring back the old
     * name with a new message's bytes in it; one fsync of each directory per batch prevents that.
     */
    void settle() {
        settle(System.nanoTime());
    }

    /** {@link #settle()} at {@code now} (System.nanoTime(); tests pass a later time). */
    void settle(long now) {
        emptyUnused(now);
        syncDirectories();
        List<Path> batch = new ArrayList<>();
        Path f;
        while ((f = settling.poll()) != null) {
            batch.add(f);
        }
        if (batch.isEmpty()) {
            return;
        }
        // Here, not on the delivery thread: an ext4 truncate may wait for the journal.
        List<Kept> kept = new ArrayList<>(batch.size());
        for (Path file : batch) {
            Boolean emptied = keepOrEmpty(file);
            if (emptied != null) {
                kept.add(new Kept(file, now, emptied));
            }
        }
        count.addAndGet(kept.size() - batch.size());
        if (kept.isEmpty()) {
            return;
        }
        try {
            AtomicFile.fsyncDirectory(active);
            AtomicFile.fsyncDirectory(dir);
            recycled.addAll(kept);
        } catch (IOException e) {
            // Not known to be durable: never reuse them (the next start lists recycle/ again).
            count.addAndGet(-kept.size());
        }
    }

    /** A rename into or out of {@code dir} happened without a directory fsync: the next settle makes it durable. */
    void unsynced(Path dir) {
        unsynced.add(dir);
        settles.demand();
    }

    /** One fsync per directory for every rename since the last settle (a batch, not one per message). */
    void syncDirectories() {
        for (Path d : List.copyOf(unsynced)) {
            unsynced.remove(d); // before the fsync: a rename after it marks the directory again
            try {
                AtomicFile.fsyncDirectory(d);
            } catch (IOException e) {
                unsynced.add(d); // tried again at the next settle
            }
        }
    }

    /**
     * A recycled file (its move here durable; empty, or holding a delivered message that the new
     * one overwrites and cuts at commit) for a new message to be written in place: the caller owns
     * it from now on, and publishes it with one rename. Null when none is left: the caller creates
     * a new file.
     */
    Path take() {
        Kept k = recycled.poll();
        if (k == null) {
            return null;
        }
        count.decrementAndGet();
        return k.file();
    }

    /**
     * Empties the files that have waited {@link #KEEP_UNUSED} with a delivered message in them.
     * The queue is in arrival order (oldest first, as {@link #take()} takes them), so this stops
     * at the first young one. Each is taken out while it is emptied: a writer never gets it then.
     */
    private void emptyUnused(long now) {
        for (int n = recycled.size(); n > 0; n--) {
            Kept k = recycled.peek();
            if (k == null || now - k.since() < KEEP_UNUSED.toNanos()) {
                return;
            }
            k = recycled.poll();
            if (k == null) {
                return;
            }
            if (k.empty() || truncate(k.file())) {
                recycled.add(new Kept(k.file(), now, true));
            } else {
                count.decrementAndGet(); // deleted by truncate
            }
        }
    }

    /**
     * Takes a delivered message (a file in active/) out of the queue: moved here for reuse, or
     * deleted when enough are kept. No directory fsync, as in Postfix: if the machine crashes
     * before the kernel writes the directory, the file comes back and is delivered again (a
     * duplicate, never a loss), and every delivery saves a blocking disk flush.
     */
    void take(Path file) throws IOException {
        if (count.incrementAndGet() <= LIMIT) {
            Path target = dir.resolve(file.getFileName());
            try {
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                settling.add(target); // offered for reuse at the next settle (200 ms), once its move is durable
                settles.demand();
                return;
            } catch (IOException e) {
                // fall through to delete
            }
        }
        count.decrementAndGet();
        Files.deleteIfExists(file);
    }

    /**
     * A small file is kept as it is (false: not empty), a large one emptied (true); null when it
     * could not be read or emptied: it is deleted then, never reused.
     */
    private static Boolean keepOrEmpty(Path f) {
        try {
            if (Files.size(f) <= SpoolWriter.HOLD) {
                return false;
            }
        } catch (IOException e) {
            // judged by the truncation below, which deletes what it cannot empty
        }
        return truncate(f) ? Boolean.TRUE : null;
    }

    /**
     * Empties {@code f} (one open with O_TRUNC: two system calls, where FileChannel.truncate takes
     * six); false when that failed: the file is then deleted instead of reused.
     */
    private static boolean truncate(Path f) {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            return true;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // left for the next start, which lists recycle/ again
            }
            return false;
        }
    }

    @Override
    public void close() {
        settler.shutdownNow();
        syncDirectories();
    }
}

package dev.postern.queue;

import dev.postern.util.AtomicFile;

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code recycle/}: files of delivered mail, kept for new messages to reuse.
 * Creating a file costs an inode allocation, which on ext4 (worst without a journal) scans past
 * recently deleted inodes: at hundreds of messages per second that was an eighth of Postern's CPU
 * (perf, bench/profile-postern.sh). Reusing the file of a delivered message costs one rename
 * instead (written in place here, then renamed to incoming/ID). A file is truncated by the settle thread within 200 ms of its arrival (an ext4
 * truncate may wait for the journal: not on a delivery thread), so no delivered bytes linger on
 * disk and recycle/ holds no space however full the disk gets; it is reused only once its move out of
 * active/ is durable ({@link #settle}), so a crash cannot bring back an old queue name holding a
 * new message.
 */
final class RecycleBin implements AutoCloseable {
    /** Enough for the messages in flight; more are deleted. */
    static final int LIMIT = 256;

    private final Path dir;
    private final Path active;
    /** Ready for reuse: their move into recycle/ is durable. */
    private final ConcurrentLinkedQueue<Path> recycled = new ConcurrentLinkedQueue<>();
    /** Moved into recycle/ but not yet fsync'd there: must not be overwritten. */
    private final ConcurrentLinkedQueue<Path> settling = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    /** Directories with renames not yet fsync'd (deferrals): synced by the next settle, see {@link Spool#defer}. */
    private final java.util.Set<Path> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService settler;

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
                    if (truncate(f)) { // a crash between a removal's move and its truncation
                        recycled.add(f);
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
        long ms = settleEvery.toMillis();
        settler.scheduleWithFixedDelay(this::settle, ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Makes the latest removals durable, then offers their files for reuse. Overwriting a file
     * whose move out of active/ might not be on disk yet could, after a crash, bring back the old
     * name with a new message's bytes in it; one fsync of each directory per batch prevents that.
     */
    void settle() {
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
        int before = batch.size();
        batch.removeIf(file -> !truncate(file));
        count.addAndGet(batch.size() - before);
        if (batch.isEmpty()) {
            return;
        }
        try {
            AtomicFile.fsyncDirectory(active);
            AtomicFile.fsyncDirectory(dir);
            recycled.addAll(batch);
        } catch (IOException e) {
            // Not known to be durable: never reuse them (the next start lists recycle/ again).
            count.addAndGet(-batch.size());
        }
    }

    /** A rename into or out of {@code dir} happened without a directory fsync: the next settle makes it durable. */
    void unsynced(Path dir) {
        unsynced.add(dir);
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
     * A recycled file (empty, its move here durable) for a new message to be written in place:
     * the caller owns it from now on, and publishes it with one rename. Null when none is left:
     * the caller creates a new file.
     */
    Path take() {
        Path f = recycled.poll();
        if (f != null) {
            count.decrementAndGet();
        }
        return f;
    }

    /**
     * Takes a delivered message (a file in active/) out of the queue: moved here and truncated,
     * or deleted when enough are kept. No directory fsync, as in Postfix: if the machine crashes
     * before the kernel writes the directory, the file comes back and is delivered again (a
     * duplicate, never a loss), and every delivery saves a blocking disk flush.
     */
    void take(Path file) throws IOException {
        if (count.incrementAndGet() <= LIMIT) {
            Path target = dir.resolve(file.getFileName());
            try {
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                settling.add(target); // truncated within one settle period (200 ms), not when reused
                return;
            } catch (IOException e) {
                // fall through to delete
            }
        }
        count.decrementAndGet();
        Files.deleteIfExists(file);
    }

    /**
     * Empties {@code f} (one open with O_TRUNC: two system calls, where FileChannel.truncate takes
     * six); false when that failed: the file is then deleted instead of reused, so a reused file
     * is always empty and {@link SpoolWriter} never truncates.
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

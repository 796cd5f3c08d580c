package dev.postern.queue;

import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.util.AtomicFile;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The durable spool under queue_directory: {@code incoming/}, {@code active/}, {@code deferred/},
 * {@code hold/}, {@code corrupt/}, {@code pid/}. Only this class touches queue files. A queue file
 * exists under its ID's name only once it is complete and durable (temp files start with '.');
 * a deferred file's mtime is its next attempt time, as in Postfix. No timing decisions here.
 */
public final class Spool implements AutoCloseable {
    public enum Queue { INCOMING, ACTIVE, DEFERRED, HOLD, CORRUPT }

    /**
     * How many files of delivered mail are kept in {@code recycle/} for new messages to reuse.
     * Creating a file costs an inode allocation, which on ext4 (worst without a journal) scans
     * past recently deleted inodes: at hundreds of messages per second that was an eighth of
     * Postern's CPU (perf, bench/profile-postern.sh). Reusing the file of a delivered message
     * costs two renames instead, and its data blocks are overwritten rather than freed and
     * allocated again. Enough for the messages in flight; more are deleted.
     */
    static final int RECYCLE_LIMIT = 256;

    private final Path root;
    private final Path recycleDir;
    private final GroupCommitter committer;
    /** Ready for reuse: their move into recycle/ is durable. */
    private final ConcurrentLinkedQueue<Path> recycled = new ConcurrentLinkedQueue<>();
    /** Moved into recycle/ but not yet fsync'd there: must not be overwritten (see {@link #remove}). */
    private final ConcurrentLinkedQueue<Path> settling = new ConcurrentLinkedQueue<>();
    private final AtomicInteger recycledCount = new AtomicInteger();
    private final java.util.concurrent.ScheduledExecutorService recycler;

    private Spool(Path root, java.time.Duration settleEvery) throws IOException {
        this.root = root;
        this.recycleDir = root.resolve("recycle");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(recycleDir)) {
            for (Path f : ds) {
                // A file still linked elsewhere (a crash between a reuse's renames, on a file system
                // that made only one directory durable) is a live message: drop only this name.
                Object links = Files.getAttribute(f, "unix:nlink");
                if (links instanceof Integer n && n > 1) {
                    Files.delete(f);
                    continue;
                }
                if (recycledCount.get() < RECYCLE_LIMIT) {
                    recycled.add(f);
                    recycledCount.incrementAndGet();
                } else {
                    Files.deleteIfExists(f);
                }
            }
        }
        this.committer = new GroupCommitter(dir(Queue.INCOMING));
        this.recycler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spool-recycle");
            t.setDaemon(true);
            return t;
        });
        long ms = settleEvery.toMillis();
        recycler.scheduleWithFixedDelay(this::settle, ms, ms, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Makes the latest removals durable, then offers their files for reuse. Overwriting a file
     * whose move out of active/ might not be on disk yet could, after a crash, bring back the old
     * name with a new message's bytes in it; one fsync of each directory per batch prevents that.
     */
    void settle() {
        List<Path> batch = new ArrayList<>();
        Path f;
        while ((f = settling.poll()) != null) {
            batch.add(f);
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            AtomicFile.fsyncDirectory(dir(Queue.ACTIVE));
            AtomicFile.fsyncDirectory(recycleDir);
            recycled.addAll(batch);
        } catch (IOException e) {
            // Not known to be durable: never reuse them (the next start lists recycle/ again).
            recycledCount.addAndGet(-batch.size());
        }
    }

    /** Creates the directories (mode 0700) if needed. Call {@link #recover()} before delivering. */
    public static Spool open(Path queueDirectory) throws IOException {
        return open(queueDirectory, java.time.Duration.ofMillis(200));
    }

    /** {@code settleEvery}: how often removals are made durable and their files offered for reuse. */
    static Spool open(Path queueDirectory, java.time.Duration settleEvery) throws IOException {
        List<Path> dirs = new ArrayList<>();
        for (Queue q : Queue.values()) {
            dirs.add(queueDirectory.resolve(q.name().toLowerCase()));
        }
        dirs.add(queueDirectory.resolve("recycle"));
        Files.createDirectories(queueDirectory.resolve("pid"));
        for (Path d : dirs) {
            // Mail is private: owner-only, like Postfix's queue directories (also when they existed).
            Files.createDirectories(d);
            ownerOnly(d, "rwx------");
        }
        return new Spool(queueDirectory, settleEvery);
    }

    /** Sets POSIX permissions where the file system has them. */
    static void ownerOnly(Path p, String perms) throws IOException {
        if (Files.getFileStore(p).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(perms));
        }
    }

    /**
     * Renames a recycled file to {@code temp} for a new message to overwrite. False when none is
     * left: the caller creates a new file. The old content is overwritten and the file truncated
     * to the new length before it is published, so nothing of the old message survives in it.
     */
    boolean reuseRecycled(Path temp) {
        Path f;
        while ((f = recycled.poll()) != null) {
            recycledCount.decrementAndGet();
            try {
                Files.move(f, temp, StandardCopyOption.ATOMIC_MOVE);
                return true;
            } catch (IOException e) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException ignored) {
                    // left for the next start, which lists recycle/ again
                }
            }
        }
        return false;
    }

    public Path root() {
        return root;
    }

    Path dir(Queue q) {
        return root.resolve(q.name().toLowerCase());
    }

    /** A new temp file in incoming/ for a message being received. */
    Path newTempFile(QueueId id) {
        return dir(Queue.INCOMING).resolve(".tmp-" + id);
    }

    /**
     * Publishes a fully written and fsync'd temp file as incoming/&lt;id&gt;. The future completes
     * after the rename and the directory fsync (shared with concurrent commits).
     */
    CompletableFuture<Void> publish(Path temp, QueueId id) {
        return committer.rename(temp, dir(Queue.INCOMING).resolve(id.toString()));
    }

    /**
     * At start: active/ back to incoming/ (a delivery in progress when we stopped is retried) and
     * temp files deleted (never acknowledged). Returns what was done, for the log.
     */
    public List<String> recover() throws IOException {
        List<String> notes = new ArrayList<>();
        for (Path f : list(Queue.ACTIVE)) {
            AtomicFile.moveDurably(f, dir(Queue.INCOMING).resolve(f.getFileName()));
            notes.add(f.getFileName() + ": requeued from active");
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(Queue.INCOMING), ".tmp-*")) {
            for (Path f : ds) {
                Files.deleteIfExists(f);
                notes.add(f.getFileName() + ": removed unfinished temp file");
            }
        }
        return notes;
    }

    /** Queue files (by ID name, oldest first). */
    public List<Path> list(Queue q) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(q))) {
            for (Path f : ds) {
                if (QueueId.isValid(f.getFileName().toString())) {
                    out.add(f);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * incoming/ or deferred/ to active/, for a delivery attempt. A plain rename, without the two
     * directory fsyncs of {@link #move}: rename is atomic, so after a crash the file is under one
     * of the two names, and {@link #recover()} treats active/ like incoming/ anyway. Postfix's qmgr
     * does the same; the fsyncs cost a blocking disk flush per message on the scanner thread.
     */
    public Path activate(Path file) throws IOException {
        Path target = dir(Queue.ACTIVE).resolve(file.getFileName());
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    public Path move(Path file, Queue to) throws IOException {
        Path target = dir(to).resolve(file.getFileName());
        AtomicFile.moveDurably(file, target);
        return target;
    }

    /** Moves to deferred/ with the next attempt time as mtime. */
    public Path defer(Path file, Instant nextAttempt) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(nextAttempt));
        return move(file, Queue.DEFERRED);
    }

    public Instant nextAttempt(Path deferredFile) throws IOException {
        return Files.getLastModifiedTime(deferredFile).toInstant();
    }

    /**
     * Takes a delivered message (a file in active/) out of the queue: moved to {@code recycle/} for
     * reuse once the move is durable (see {@link #RECYCLE_LIMIT} and {@link #settle}), or deleted
     * when enough are kept. No directory fsync, as in Postfix:
     * if the machine crashes before the kernel writes the directory, the file comes back and is
     * delivered again (a duplicate, never a loss), and every delivery saves a blocking disk flush.
     */
    public void remove(Path file) throws IOException {
        if (recycledCount.incrementAndGet() <= RECYCLE_LIMIT) {
            Path target = recycleDir.resolve(file.getFileName());
            try {
                Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
                settling.add(target); // reusable once settle() has made the move durable
                return;
            } catch (IOException e) {
                // fall through to delete
            }
        }
        recycledCount.decrementAndGet();
        Files.deleteIfExists(file);
    }

    /** Reads a queue file's envelope and gives access to its content. */
    public QueuedMessage read(Path file) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            QueueEnvelope.Parsed p = QueueEnvelope.read(in);
            long total = Files.size(file);
            long offset = p.headerLength();
            MessageContent content = new MessageContent() {
                @Override
                public InputStream open() throws IOException {
                    InputStream s = Files.newInputStream(file);
                    s.skipNBytes(offset);
                    return s;
                }

                @Override
                public long size() {
                    return total - offset;
                }
            };
            return new QueuedMessage(file, p.envelope(), content);
        }
    }

    /** Rewrites a queue file with fewer recipients (after a partial delivery), atomically and durably. */
    public void rewriteRecipients(QueuedMessage m, QueueEnvelope updated) throws IOException {
        Path tmp = m.file().resolveSibling(".rw-" + m.file().getFileName());
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
             InputStream in = m.content().open()) {
            out.write(java.nio.ByteBuffer.wrap(updated.header()));
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(java.nio.ByteBuffer.wrap(buf, 0, n));
            }
            out.force(true);
        }
        Files.move(tmp, m.file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        AtomicFile.fsyncDirectory(m.file().getParent());
    }

    /** Moves an unreadable file aside, keeping it for the administrator. */
    public void quarantine(Path file) throws IOException {
        move(file, Queue.CORRUPT);
    }

    @Override
    public void close() {
        recycler.shutdownNow();
        committer.close();
    }
}

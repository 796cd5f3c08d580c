package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The durable spool under queue_directory: {@code incoming/}, {@code active/}, {@code deferred/},
 * {@code hold/}, {@code corrupt/}, {@code pid/}, {@code recycle/}, {@code request/},
 * {@code trigger/}. Only this package touches queue files. A queue file exists under its ID's name
 * only once it is complete and durable (temp files start with '.'); a deferred file's mtime is its
 * next attempt time, as in Postfix. A file that fails its checks ({@link QueueFile}) is moved to
 * corrupt/ with a warning and never delivered. No timing decisions here.
 */
public final class Spool implements AutoCloseable {
    public enum Queue { INCOMING, ACTIVE, DEFERRED, HOLD, CORRUPT }

    /** Where the spool reports what it did on its own (the daemon sends it to the mail log as qmgr). */
    public interface Events {
        void info(String text);

        void warning(String text);

        Events STDERR = new Events() {
            @Override
            public void info(String text) {
                System.err.println("postern: " + text);
            }

            @Override
            public void warning(String text) {
                System.err.println("postern: warning: " + text);
            }
        };
    }

    /**
     * Appended records beyond this many bytes are folded into a rewritten file at the next
     * deferral, so a message retried for days does not grow without bound.
     */
    static final long RECORDS_COMPACT_AT = 32 * 1024;

    /** See {@link RecycleBin#LIMIT}. */
    static final int RECYCLE_LIMIT = RecycleBin.LIMIT;

    private final Path root;
    private final GroupCommitter committer;
    private final RecycleBin recycle;
    private final Events events;
    private final OperatorRequests requests;
    private final java.nio.file.FileStore store;
    private volatile Thread triggerWatcher;

    private Spool(Path root, java.time.Duration settleEvery, Events events) throws IOException {
        this.root = root;
        this.events = events;
        this.requests = new OperatorRequests(root);
        this.store = Files.getFileStore(root);
        this.committer = new GroupCommitter(dir(Queue.INCOMING));
        this.recycle = new RecycleBin(root.resolve("recycle"), dir(Queue.ACTIVE), settleEvery);
    }

    /** Makes the latest removals durable and offers their files for reuse (see {@link RecycleBin#settle}). */
    void settle() {
        recycle.settle();
    }

    /** {@link #settle()} as if {@code later} had passed (for tests of {@link RecycleBin#KEEP_UNUSED}). */
    void settle(java.time.Duration later) {
        recycle.settle(System.nanoTime() + later.toNanos());
    }

    /** Creates the directories (mode 0700) if needed. Call {@link #recover()} before delivering. */
    public static Spool open(Path queueDirectory) throws IOException {
        return open(queueDirectory, Events.STDERR);
    }

    /** As {@link #open(Path)}, reporting quarantines, recovery and operator requests to {@code events}. */
    public static Spool open(Path queueDirectory, Events events) throws IOException {
        return open(queueDirectory, java.time.Duration.ofMillis(200), events);
    }

    static Spool open(Path queueDirectory, java.time.Duration settleEvery) throws IOException {
        return open(queueDirectory, settleEvery, Events.STDERR);
    }

    /** {@code settleEvery}: how often removals are made durable and their files offered for reuse. */
    static Spool open(Path queueDirectory, java.time.Duration settleEvery, Events events) throws IOException {
        createDirectories(queueDirectory);
        return new Spool(queueDirectory, settleEvery, events);
    }

    /** The queue directories, owner-only (also when they existed), as Postfix. */
    static void createDirectories(Path queueDirectory) throws IOException {
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
        OperatorRequests.createDirectories(queueDirectory);
    }

    /** Sets POSIX permissions where the file system has them. */
    static void ownerOnly(Path p, String perms) throws IOException {
        if (Files.getFileStore(p).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(perms));
        }
    }

    /**
     * A recycled file (in recycle/, see {@link RecycleBin#take()}) for a new message to be written in place and then
     * published from there ({@link #publish}): one rename per message instead of two. Null when
     * none is left.
     */
    Path takeRecycled() {
        return recycle.take();
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
     * Publishes a fully written and fsync'd temp file (incoming/.tmp-ID, or a recycled file in
     * recycle/) as incoming/&lt;id&gt;. The future completes after the rename and the fsync of
     * incoming/ (shared with concurrent commits). A recycled file's old name in recycle/ is not
     * fsync'd away: should a crash leave it beside the new one, {@link RecycleBin} sees the second
     * link at the next start and drops only that name.
     */
    CompletableFuture<Void> publish(Path temp, QueueId id) {
        return committer.rename(temp, dir(Queue.INCOMING).resolve(id.toString()));
    }

    /**
     * As {@link #publish}, into hold/: one rename, then fsync of hold/ and of the directory the temp
     * file was in, on the caller's thread (held mail is rare: no group commit). The future is
     * already complete when this returns.
     */
    CompletableFuture<Void> publishHeld(Path temp, QueueId id) {
        try {
            AtomicFile.moveDurably(temp, dir(Queue.HOLD).resolve(id.toString()));
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * At start: files that cannot be queue files to corrupt/, active/ back to incoming/ (a delivery
     * in progress when we stopped is retried), temp files deleted (never acknowledged), operator
     * requests for messages no longer active applied. Returns what was done, for the log.
     */
    public List<String> recover() throws IOException {
        requests.drainTriggers(); // the scans that follow a start serve them
        return new SpoolRecovery(this, requests).run();
    }

    /**
     * A cursor over one queue directory's queue files, in directory order, reading names as it
     * goes (one readdir buffer, no list): what qmgr scans deferred/ with, so a million deferred
     * messages never become a million objects. Files moved in or out while it is open may or may
     * not be seen (readdir's rule); every other file is seen exactly once.
     */
    public Scan scan(Queue q) throws IOException {
        return new Scan(Files.newDirectoryStream(dir(q), f -> QueueId.isValid(f.getFileName().toString())));
    }

    /** See {@link #scan}. Not thread-safe: one thread reads it. */
    public static final class Scan implements AutoCloseable {
        private final DirectoryStream<Path> stream;
        private final java.util.Iterator<Path> names;

        private Scan(DirectoryStream<Path> stream) {
            this.stream = stream;
            this.names = stream.iterator();
        }

        /** The next queue file, or null at the end. */
        public Path next() throws IOException {
            try {
                return names.hasNext() ? names.next() : null;
            } catch (java.nio.file.DirectoryIteratorException e) {
                throw e.getCause();
            }
        }

        @Override
        public void close() {
            try {
                stream.close();
            } catch (IOException ignored) {
                // a read-only directory handle: nothing was written
            }
        }
    }

    /** Queue files (by ID name, oldest first). Holds them all: for small queues and tests; qmgr uses {@link #scan}. */
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

    /**
     * Moves a message from active/ to deferred/ with the next attempt time as mtime, unless an
     * operator asked (while it was being delivered) to hold, delete or requeue it: then that is
     * done instead. Returns where the file is now, or null when it was deleted.
     *
     * <p>A plain rename: the two directories are fsync'd by the settle thread, once per batch
     * (every 200 ms and at close), not once per message. No acknowledged message can be lost by
     * that: its content was fsync'd before the 250 and is never rewritten here; the rename is
     * atomic (one journal transaction on ext4/xfs/btrfs, which is what Postfix's qmgr relies on
     * too: it renames between queues without any fsync), so after a crash the file is under its
     * old name in active/ or its new one in deferred/, never under neither. In active/ it goes back
     * to incoming/ at the next start ({@link #recover()}) and is retried: a repeated attempt, not a
     * loss. What a crash within the batch can lose is the mtime (an earlier retry) or the
     * reasons' append (a less informative listing), both harmless; the durable facts (recipients
     * done, a delay notice sent) are fdatasync'd by their own appends before this is called.
     * Per message, the two fsyncs made re-deferring a dead destination's mail after a flush ~130
     * messages/s on this machine (BENCHMARKS.md, issue 8 §8(b)).
     */
    public Path defer(Path file, Instant nextAttempt) throws IOException {
        String id = file.getFileName().toString();
        var request = requests.claim(id);
        if (request.isPresent()) {
            return apply(file, request.get());
        }
        Files.setLastModifiedTime(file, FileTime.from(nextAttempt));
        Path target = dir(Queue.DEFERRED).resolve(file.getFileName());
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        recycle.unsynced(dir(Queue.DEFERRED));
        recycle.unsynced(file.getParent());
        return target;
    }

    /** Carries out an operator request on a message that has just left delivery (or on restart). */
    Path apply(Path file, OperatorRequests.Verb verb) throws IOException {
        String id = file.getFileName().toString();
        switch (verb) {
            case DELETE -> {
                Files.delete(file);
                AtomicFile.fsyncDirectory(file.getParent());
                events.info(id + ": removed");
                return null;
            }
            case HOLD -> {
                events.info(id + ": placed on hold");
                return move(file, Queue.HOLD);
            }
            default -> {
                Path target = toMaildrop(file, root); // pickup submits it again (QueueControl#requeue)
                events.info(id + ": requeued");
                return target;
            }
        }
    }

    /**
     * Records, durably, that these recipients are done (delivered, or bounced and reported), so
     * that a crash before the message leaves the queue never sends to them again. One append and
     * one fdatasync; {@link #read} leaves them out of the recipients from then on. A version 1 file
     * is first rewritten as version 2 (it has no room for records).
     */
    public void markDone(QueuedMessage m, Collection<MailAddress> done) throws IOException {
        if (done.isEmpty()) {
            return;
        }
        if (m.version() == 1) {
            java.util.Set<String> gone = new java.util.HashSet<>();
            done.forEach(r -> gone.add(r.toString()));
            rewrite(m, m.envelope().recipients().stream().filter(r -> !gone.contains(r.toString())).toList(), m.records());
            return;
        }
        append(m.file(), QueueRecords.done(done), true);
    }

    /**
     * Records each deferred recipient's reason (shown by {@code postern queue}) and moves the
     * message to deferred/ with {@code nextAttempt} as its mtime, or where a pending operator
     * request says ({@link #defer}). What qmgr calls when a delivery attempt leaves recipients
     * to retry. Returns where the file is now, or null when an operator had deleted it.
     */
    public Path recordDeferral(QueuedMessage m, Map<MailAddress, String> reasons, Instant nextAttempt) throws IOException {
        return recordDeferral(m, reasons, nextAttempt, null);
    }

    /**
     * As {@link #recordDeferral(QueuedMessage, Map, Instant)}; {@code delayNotice} non-null also
     * records, durably and in the same append, that the sender was sent a delay notice then
     * ({@link QueuedMessage#delayNoticeSent}), so no later attempt, nor a restart, sends another.
     */
    public Path recordDeferral(QueuedMessage m, Map<MailAddress, String> reasons, Instant nextAttempt,
                               Instant delayNotice) throws IOException {
        if (m.version() == 1 || m.length() - m.recordsStart() > RECORDS_COMPACT_AT) {
            Map<String, String> merged = new java.util.LinkedHashMap<>(m.records().reasons());
            Map<String, Instant> times = new java.util.LinkedHashMap<>(m.records().reasonTimes());
            Instant now = Instant.now();
            reasons.forEach((r, why) -> {
                merged.put(r.toString(), why);
                times.put(r.toString(), now);
            });
            merged.keySet().retainAll(m.envelope().recipients().stream().map(MailAddress::toString).toList());
            Instant notice = delayNotice != null ? delayNotice : m.records().delayNotice();
            rewrite(m, m.envelope().recipients(), new QueueRecords.State(java.util.Set.of(), merged, times, notice));
        } else if (delayNotice != null) {
            byte[] r = QueueRecords.reasons(reasons, Instant.now());
            byte[] w = QueueRecords.delayNotice(delayNotice);
            byte[] both = java.util.Arrays.copyOf(r, r.length + w.length - 1);
            System.arraycopy(w, 1, both, r.length, w.length - 1); // one append, one leading newline
            append(m.file(), both, true);
        } else if (!reasons.isEmpty()) {
            // No fdatasync: a reason lost in a crash is only a less informative listing.
            append(m.file(), QueueRecords.reasons(reasons, Instant.now()), false);
        }
        return defer(m.file(), nextAttempt);
    }

    private static void append(Path file, byte[] records, boolean durable) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            QueueFile.writeFully(ch, ByteBuffer.wrap(records)); // one write: concurrent appends do not interleave
            if (durable) {
                ch.force(false);
            }
        }
    }

    /** A deferred file's next attempt; {@link Instant#MAX} when it is gone (a queue tool moved it meanwhile). */
    public Instant nextAttempt(Path deferredFile) throws IOException {
        try {
            return Files.getLastModifiedTime(deferredFile).toInstant();
        } catch (java.nio.file.NoSuchFileException e) {
            return Instant.MAX;
        }
    }

    /**
     * Takes a delivered message (a file in active/) out of the queue: moved to {@code recycle/} for
     * reuse once the move is durable (see {@link #RECYCLE_LIMIT} and {@link #settle}), or deleted
     * when enough are kept. No directory fsync, as in Postfix:
     * if the machine crashes before the kernel writes the directory, the file comes back and is
     * delivered again (a duplicate, never a loss), and every delivery saves a blocking disk flush.
     */
    public void remove(Path file) throws IOException {
        recycle.take(file);
    }

    /**
     * Reads and checks a queue file (its whole content, against the checksum) before a delivery.
     * A file that fails is moved to corrupt/ with a warning, and this throws
     * {@link CorruptQueueFileException}: the caller just forgets the message.
     */
    public QueuedMessage read(Path file) throws IOException {
        try {
            return QueueFile.read(file, true);
        } catch (CorruptQueueFileException e) {
            quarantine(file, e.getMessage());
            throw e;
        }
    }

    /** Rewrites a queue file with fewer recipients (after a partial delivery), atomically and durably. */
    public void rewriteRecipients(QueuedMessage m, QueueEnvelope updated) throws IOException {
        rewrite(m, updated.recipients(), m.records());
    }

    /**
     * Records that a message's "expanded" success notice went out (Postfix deletes its trace file
     * after the flush): the file is rewritten without its {@code expanded} lines, atomically and
     * durably, and read again. A crash before the rename sends the notice once more, never none.
     */
    public QueuedMessage clearExpanded(QueuedMessage m) throws IOException {
        rewrite(m, m.envelope().withoutExpanded(), m.records());
        return read(m.file());
    }

    /**
     * postern queue requeue for a message the queue manager holds (Postfix's postsuper -r): to
     * maildrop/, where pickup submits it through cleanup again; logged {@code ID: requeued}.
     */
    public Path requeue(Path file) throws IOException {
        return apply(file, OperatorRequests.Verb.REQUEUE);
    }

    private void rewrite(QueuedMessage m, List<MailAddress> recipients, QueueRecords.State records) throws IOException {
        rewrite(m, m.envelope().withRecipients(recipients), records);
    }

    /** A new version 2 file with this envelope and these records: temp, fdatasync, rename, fsync dir. */
    private void rewrite(QueuedMessage m, QueueEnvelope envelope, QueueRecords.State records) throws IOException {
        Path tmp = m.file().resolveSibling(".rw-" + m.file().getFileName());
        try (FileChannel out = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")))) {
            QueueFile.write(out, envelope, m.content(), QueueRecords.reasons(records));
        }
        Files.move(tmp, m.file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        AtomicFile.fsyncDirectory(m.file().getParent());
    }

    /** Moves an unreadable file aside, keeping it for the administrator. */
    public void quarantine(Path file) throws IOException {
        quarantine(file, null);
    }

    /** Postfix qmgr's warning: {@code saving corrupt file "ID" from queue "active" to queue "corrupt"}. */
    void quarantine(Path file, String why) throws IOException {
        Path target = dir(Queue.CORRUPT).resolve(file.getFileName());
        for (int n = 1; Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS); n++) {
            target = dir(Queue.CORRUPT).resolve(file.getFileName() + "." + n); // never replace earlier evidence
        }
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFile.fsyncDirectory(target.getParent());
        AtomicFile.fsyncDirectory(file.getParent());
        events.warning("saving corrupt file \"" + file.getFileName() + "\" from queue \"" + file.getParent().getFileName()
                + "\" to queue \"corrupt\"" + (why == null ? "" : ": " + why));
    }

    /**
     * {@code $queue_directory/maildrop}, where sendmail leaves mail and a requeued message goes
     * (created owner-only when missing: the queue tools may run before the daemon ever did).
     */
    public static Path maildrop(Path queueDirectory) throws IOException {
        Path d = queueDirectory.resolve("maildrop");
        if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(d, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            // The daemon's, not root's, when root runs the tool: pickup must read it.
            Files.setOwner(d, Files.getOwner(queueDirectory));
        }
        return d;
    }

    /**
     * A requeued message's file to maildrop/ (postsuper's requeue_one(): a rename, the mtime set
     * to now, since a deferred file's mtime is its next attempt and pickup dates its Received
     * header by it). NoSuchFileException when it is not there.
     */
    static Path toMaildrop(Path file, Path queueDirectory) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        Path target = maildrop(queueDirectory).resolve(file.getFileName());
        AtomicFile.moveDurably(file, target);
        return target;
    }

    /**
     * A queue file (one that {@code postern queue requeue} moved to maildrop/), read and checked
     * against its checksum; {@link CorruptQueueFileException} when it is not a sound one.
     */
    public static QueuedMessage readQueueFile(Path file) throws IOException {
        return QueueFile.read(file, true);
    }

    /** Whether these first bytes of a file start a Postern queue file (not a sendmail maildrop file). */
    public static boolean isQueueFile(byte[] head) {
        byte[] magic = "postern-queue ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return head.length >= magic.length && java.util.Arrays.equals(head, 0, magic.length, magic, 0, magic.length);
    }

    /** Bytes free for Postern in the queue file system (statvfs: cheap enough for every MAIL). */
    public long usableSpace() {
        try {
            return store.getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE; // unknown: let the write itself fail and say 451
        }
    }

    /**
     * Reacts to the queue tools' triggers (an inotify watch on trigger/, so it is immediate):
     * {@code flush} for {@code postern queue flush} (every deferred message due now, as Postfix's
     * qmgr does on postqueue -f), {@code wake} for the rest (new files in incoming/).
     */
    public void watchTriggers(Runnable wake, Runnable flush) {
        watchTriggers(wake, flush, wake);
    }

    /**
     * As {@link #watchTriggers(Runnable, Runnable)}, with {@code revive} for {@code postern queue
     * flush -s site} (Postfix's flush daemon asks qmgr to forget dead destinations first, then to
     * scan incoming/, where it moved the site's mail): it must do both.
     */
    public void watchTriggers(Runnable wake, Runnable flush, Runnable revive) {
        triggerWatcher = requests.watch(wake, flush, revive, events);
    }

    @Override
    public void close() {
        Thread t = triggerWatcher;
        if (t != null) {
            t.interrupt();
        }
        recycle.close();
        committer.close();
    }
}

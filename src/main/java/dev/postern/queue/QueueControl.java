package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The queue tools' side of the spool (Postfix: showq, postsuper, postqueue -f), for {@code postern
 * queue}. Works the same whether the daemon runs or not, and never races with it: every change is
 * one atomic rename (or unlink) of a file the daemon may be renaming too, so exactly one of them
 * wins and the message is in exactly one place (a requeue appends a record first: an append
 * creates no file, so it cannot make a second copy either). A message in active/ (being delivered) is never
 * touched: an {@link OperatorRequests operator request} is left for it instead, carried out when
 * the attempt ends with mail still queued (delivered mail is simply gone). Changes that make mail
 * due (flush, release, requeue) drop a trigger file that wakes the running queue manager.
 * A second public type in this package because the tools must not open a {@link Spool}: that
 * starts the daemon's threads and recycles files.
 */
public final class QueueControl {
    private final List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    /**
     * One listed message; {@code problem} is non-null for a file that fails its checks. {@code queue}
     * is null for a message still in maildrop/ (listed by the CLI from pickup's side).
     */
    public record Entry(Spool.Queue queue, String id, Instant arrival, long size, String sender,
                        List<Recipient> recipients, Instant nextAttempt, String problem) {
    }

    /** {@code original}: the address it came in as (Postfix 3.11's orig_address; the address itself when unchanged). */
    public record Recipient(String address, String reason, String original) {
        public Recipient(String address, String reason) {
            this(address, reason, address);
        }
    }

    /** What an operation did: IDs done now, IDs left as requests (active), IDs not found. */
    public record Outcome(List<String> done, List<String> pending, List<String> missing) {
    }

    private final Path root;
    private final OperatorRequests requests;

    private QueueControl(Path root) {
        this.root = root;
        this.requests = new OperatorRequests(root);
    }

    /** Creates missing queue directories (as the daemon would) so a never-started queue lists as empty. */
    public static QueueControl open(Path queueDirectory) throws IOException {
        Spool.createDirectories(queueDirectory);
        QueueControl c = new QueueControl(queueDirectory);
        c.settleRequests();
        return c;
    }

    /** The queue directory. */
    public Path root() {
        return root;
    }

    Path dir(Spool.Queue q) {
        return root.resolve(q.name().toLowerCase(Locale.ROOT));
    }

    /** Names sorted together by {@link #list(Consumer)}: what the listing holds in memory at most. */
    public static final int SORT_RUN = 4096;

    /** As {@link #list(Consumer)}, collected: for small queues and tests. */
    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        list(out::add);
        return out;
    }

    /**
     * Every message in active, incoming, deferred, hold (Postfix's showq order), then corrupt
     * files, handed to {@code each} one at a time as the directories are read, so listing a
     * million messages takes constant memory. Within a queue, names are sorted by ID in runs of
     * {@link #SORT_RUN} (a queue up to that size is listed wholly by ID; a bigger one in sorted
     * runs, in directory order between them). Postfix's showq does not sort at all (it lists in
     * its hashed directories' order); a full sort would need every name in memory at once.
     * ({@code maildrop/} belongs to pickup; the listing adds it first.)
     */
    public void list(Consumer<Entry> each) throws IOException {
        for (Spool.Queue q : List.of(Spool.Queue.ACTIVE, Spool.Queue.INCOMING, Spool.Queue.DEFERRED, Spool.Queue.HOLD,
                Spool.Queue.CORRUPT)) {
            List<Path> run = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(q))) {
                for (Path f : ds) {
                    if (!f.getFileName().toString().startsWith(".")) {
                        run.add(f);
                        if (run.size() == SORT_RUN) {
                            emit(q, run, each);
                        }
                    }
                }
            }
            emit(q, run, each);
        }
    }

    /** A queue's names, sorted (flush and delete ALL: they act on each; listing streams instead). */
    private List<Path> names(Spool.Queue q) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(q))) {
            for (Path f : ds) {
                if (!f.getFileName().toString().startsWith(".")) {
                    out.add(f);
                }
            }
        }
        out.sort(null);
        return out;
    }

    private void emit(Spool.Queue q, List<Path> run, Consumer<Entry> each) {
        run.sort(null);
        for (Path f : run) {
            each.accept(entry(q, f));
        }
        run.clear();
    }

    /** The message with this ID, read and checked in full, and which queue holds it. */
    public Optional<Entry> find(String id) throws IOException {
        for (Spool.Queue q : Spool.Queue.values()) {
            Path f = dir(q).resolve(id);
            if (Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return Optional.of(entry(q, f));
            }
        }
        return Optional.empty();
    }

    /** The checked content of a message, or empty when it is not a sound queue file. */
    public Optional<QueuedMessage> read(Entry e) {
        try {
            return Optional.of(QueueFile.read(dir(e.queue()).resolve(e.id()), true));
        } catch (IOException ex) {
            return Optional.empty();
        }
    }

    private Entry entry(Spool.Queue q, Path f) {
        String id = f.getFileName().toString();
        try {
            if (q == Spool.Queue.CORRUPT) {
                throw new CorruptQueueFileException("saved as corrupt");
            }
            if (!QueueId.isValid(id)) {
                throw new CorruptQueueFileException("not a queue file name");
            }
            QueuedMessage m = QueueFile.read(f, false);
            QueueEnvelope env = m.envelope();
            List<Recipient> rcpts = new ArrayList<>();
            for (MailAddress r : env.recipients()) {
                String o = env.originalOf(r);
                rcpts.add(new Recipient(r.toString(), m.lastReason(r), o == null ? r.toString() : o));
            }
            Instant next = q == Spool.Queue.DEFERRED ? Files.getLastModifiedTime(f).toInstant() : null;
            return new Entry(q, id, env.arrival(), m.content().size(), env.sender().toString(), rcpts, next, null);
        } catch (IOException e) {
            String why = e instanceof CorruptQueueFileException ? e.getMessage()
                    : e instanceof NoSuchFileException ? "gone while listed" : "unreadable: " + e.getMessage();
            return new Entry(q, id, null, sizeOf(f), "", List.of(), null, why);
        }
    }

    private static long sizeOf(Path f) {
        try {
            return Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? Files.size(f) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** postsuper -d: from incoming, deferred, hold, corrupt (or only {@code from}); active ones by request. */
    public Outcome delete(List<String> ids, Spool.Queue from) throws IOException {
        return apply(ids, from, OperatorRequests.Verb.DELETE);
    }

    /** postsuper -h: incoming and deferred mail to hold/. */
    public Outcome hold(List<String> ids, Spool.Queue from) throws IOException {
        return apply(ids, from, OperatorRequests.Verb.HOLD);
    }

    /**
     * postsuper -r: to maildrop/, as Postfix's postsuper moves it, where pickup submits it through
     * cleanup again ({@code dev.postern.pickup.Pickup}): a new queue ID, address rewriting and
     * header/body checks again (in the header context it was received in), pickup's content_filter
     * and receive_override_options, the original arrival time. A message being delivered gets a
     * request, carried out when its attempt ends ({@link Spool#defer}).
     */
    public Outcome requeue(List<String> ids, Spool.Queue from) throws IOException {
        Outcome o = apply(ids, from, OperatorRequests.Verb.REQUEUE);
        requests.trigger("wake");
        return o;
    }

    /**
     * postsuper -H: hold/ to deferred/, due now: taken at the next deferred scan (queue_run_delay),
     * as with Postfix, or at once after {@code flush}.
     */
    public Outcome release(List<String> ids) throws IOException {
        List<String> done = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String id : expand(ids, Spool.Queue.HOLD, List.of(Spool.Queue.HOLD))) {
            Path f = dir(Spool.Queue.HOLD).resolve(id);
            try {
                Files.setLastModifiedTime(f, FileTime.from(Instant.now())); // the daemon never touches hold/
                AtomicFile.moveDurably(f, dir(Spool.Queue.DEFERRED).resolve(id));
                done.add(id);
            } catch (NoSuchFileException e) {
                missing.add(id);
            }
        }
        requests.trigger("wake");
        return new Outcome(done, List.of(), missing);
    }

    /**
     * postqueue -f: every deferred message due now, and the daemon's queue manager told to take
     * them all (it also stops counting dead destinations as dead). Returns the IDs made due.
     */
    public List<String> flush() throws IOException {
        List<String> due = new ArrayList<>();
        Instant now = Instant.now();
        for (Path f : names(Spool.Queue.DEFERRED)) {
            try {
                Files.setLastModifiedTime(f, FileTime.from(now)); // due also for a daemon started later
                due.add(f.getFileName().toString());
            } catch (NoSuchFileException e) {
                // taken for delivery meanwhile: that is what a flush wants
            }
        }
        requests.trigger("flush");
        return due;
    }

    /**
     * postqueue -s site: deferred mail with a recipient in {@code site} goes back to incoming/ (one
     * rename each), where the queue manager takes it at once. Returns the IDs moved.
     */
    public List<String> flush(String site) throws IOException {
        if (site == null) {
            return flush();
        }
        List<String> due = new ArrayList<>();
        for (Path f : names(Spool.Queue.DEFERRED)) {
            if (hasRecipientAt(f, site)) {
                try {
                    AtomicFile.moveDurably(f, dir(Spool.Queue.INCOMING).resolve(f.getFileName()));
                    due.add(f.getFileName().toString());
                } catch (NoSuchFileException e) {
                    // taken for delivery meanwhile
                }
            }
        }
        requests.trigger("site"); // also un-marks a dead destination, or its mail is suspended again at once
        return due;
    }

    /**
     * postqueue -i ID: these deferred messages go back to incoming/ (one rename each), where the
     * queue manager takes them at once; an ID not in deferred/ is reported missing (as Postfix,
     * which only schedules deferred mail).
     */
    public Outcome flushIds(List<String> ids) throws IOException {
        List<String> done = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String id : ids) {
            if (id.contains("/") || id.startsWith(".")) {
                missing.add(id);
                continue;
            }
            try {
                AtomicFile.moveDurably(dir(Spool.Queue.DEFERRED).resolve(id), dir(Spool.Queue.INCOMING).resolve(id));
                done.add(id);
            } catch (NoSuchFileException e) {
                missing.add(id);
            }
        }
        requests.trigger("site"); // also un-marks a dead destination, or the mail is suspended again at once
        return new Outcome(done, List.of(), missing);
    }

    private static boolean hasRecipientAt(Path f, String site) {
        try {
            for (MailAddress r : QueueFile.read(f, false).envelope().recipients()) {
                if (r.domain().equalsIgnoreCase(site)) {
                    return true;
                }
            }
        } catch (IOException ignored) {
            // corrupt or gone: the daemon deals with it when it comes due
        }
        return false;
    }

    /** ALL means every message the verb can apply to (hold ALL leaves held and corrupt files alone). */
    private List<String> expand(List<String> ids, Spool.Queue only, List<Spool.Queue> applicable) throws IOException {
        if (!(ids.size() == 1 && ids.get(0).equals("ALL"))) {
            return ids;
        }
        List<String> all = new ArrayList<>();
        for (Spool.Queue q : applicable) {
            if (only == null || only == q) {
                names(q).forEach(f -> all.add(f.getFileName().toString()));
            }
        }
        return all;
    }

    private Outcome apply(List<String> ids, Spool.Queue only, OperatorRequests.Verb verb) throws IOException {
        List<String> done = new ArrayList<>();
        List<String> pending = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<Spool.Queue> applicable = new ArrayList<>(sources(verb));
        applicable.add(Spool.Queue.ACTIVE);
        if (only != Spool.Queue.CORRUPT) {
            applicable.remove(Spool.Queue.CORRUPT); // as postsuper -d ALL: corrupt files only when named
        }
        for (String id : expand(ids, only, applicable)) {
            if (id.contains("/") || id.startsWith(".")) {
                missing.add(id);
                continue;
            }
            switch (applyOne(id, only, verb)) {
                case DONE -> done.add(id);
                case PENDING -> pending.add(id);
                default -> missing.add(id);
            }
        }
        return new Outcome(done, pending, missing);
    }

    private enum Result { DONE, PENDING, MISSING }

    private Result applyOne(String id, Spool.Queue only, OperatorRequests.Verb verb) throws IOException {
        for (int attempt = 0; attempt < 5; attempt++) {
            if (moveFromQueues(id, only, verb)) {
                return Result.DONE;
            }
            if ((only != null && only != Spool.Queue.ACTIVE) || !Files.exists(dir(Spool.Queue.ACTIVE).resolve(id))) {
                return Result.MISSING;
            }
            // Being delivered: leave the request, then look again. If the attempt ended meanwhile
            // without seeing it, take the request back and act on the file where it now is.
            requests.post(id, verb);
            if (Files.exists(dir(Spool.Queue.ACTIVE).resolve(id))) {
                return Result.PENDING;
            }
            if (requests.claim(id).isEmpty()) {
                return Result.DONE; // the daemon took it and acted
            }
        }
        return Result.MISSING;
    }

    /** One atomic step from the first queue that has the file; false when none has it. */
    private boolean moveFromQueues(String id, Spool.Queue only, OperatorRequests.Verb verb) throws IOException {
        for (Spool.Queue q : sources(verb)) {
            if (only != null && only != q) {
                continue;
            }
            Path f = dir(q).resolve(id);
            try {
                switch (verb) {
                    case DELETE -> {
                        if (q == Spool.Queue.CORRUPT && Files.isDirectory(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            deleteTree(f);
                        } else {
                            Files.delete(f);
                        }
                        AtomicFile.fsyncDirectory(dir(q));
                    }
                    case HOLD -> AtomicFile.moveDurably(f, dir(Spool.Queue.HOLD).resolve(id));
                    case REQUEUE -> Spool.toMaildrop(f, root);
                }
                return true;
            } catch (NoSuchFileException e) {
                // not here (or the daemon took it this instant): look in the next queue
            }
        }
        return false;
    }

    /** Warnings of the operations so far, for the command to print. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The queues a verb moves files out of directly (active/ gets a request instead). */
    private static List<Spool.Queue> sources(OperatorRequests.Verb verb) {
        return switch (verb) {
            case DELETE -> List.of(Spool.Queue.INCOMING, Spool.Queue.DEFERRED, Spool.Queue.HOLD, Spool.Queue.CORRUPT);
            case HOLD -> List.of(Spool.Queue.INCOMING, Spool.Queue.DEFERRED);
            case REQUEUE -> List.of(Spool.Queue.DEFERRED, Spool.Queue.HOLD, Spool.Queue.INCOMING);
        };
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Requests whose message is no longer active were either carried out by the daemon (then
     * they are gone) or outlived a delivery: act on them now, or drop them when the message left.
     */
    private void settleRequests() throws IOException {
        for (String id : requests.pendingIds()) {
            if (Files.exists(dir(Spool.Queue.ACTIVE).resolve(id))) {
                continue;
            }
            Optional<OperatorRequests.Verb> verb = requests.claim(id);
            if (verb.isPresent()) {
                moveFromQueues(id, null, verb.get());
            }
        }
    }
}

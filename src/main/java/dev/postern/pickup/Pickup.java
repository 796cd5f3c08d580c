package dev.postern.pickup;

import dev.postern.bounce.Bounce;
import dev.postern.bounce.BounceSettings;
import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupTransaction;
import dev.postern.cleanup.Envelope;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.ReversePath;
import dev.postern.mail.SmtpException;
import dev.postern.queue.CorruptQueueFileException;
import dev.postern.queue.QueueEnvelope;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;
import dev.postern.util.AtomicFile;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * pickup - local mail pickup: moves what sendmail left in {@code maildrop/} into the queue through
 * cleanup, like Postfix's pickup(8). One thread, woken by the file system and by a periodic scan.
 * A maildrop file is deleted only after cleanup's commit (queue file and directory fsync'd), so a
 * crash in between delivers a message twice at worst, never zero times.
 */
public final class Pickup implements AutoCloseable {
    /** How long a file that hit a temporary cleanup error waits before the next try. */
    private static final long RETRY_MILLIS = 10_000;

    private final PickupSettings settings;
    private final Maildrop maildrop;
    private final Cleanup cleanup;
    /** Returns mail cleanup refuses for good (too big) to its sender; null: moved aside instead. */
    private final SenderReturn returns;
    /** Pickup's own lines: under its line's -o syslog_name when it has one ({@code postfix/local/pickup}). */
    private final MailLog log;
    /** The server's log: the lines Postfix's cleanup and bounce would write for a returned message. */
    private final MailLog serverLog;
    private final WatchService watch;
    private final Thread thread;
    private final Map<Path, Long> retryAt = new HashMap<>();
    /** Queued but not removable: skipped so they are not queued again every scan. */
    private final Set<Path> done = new HashSet<>();
    private volatile boolean running = true;

    private Pickup(PickupSettings settings, Cleanup cleanup, Bounce bounce, MailLog log) throws IOException {
        this.settings = settings;
        this.maildrop = new Maildrop(settings.queueDirectory());
        this.cleanup = cleanup;
        this.returns = bounce == null ? null : new SenderReturn(bounce, log);
        this.log = settings.syslogName().isEmpty() ? log : log.withSyslogName(settings.syslogName());
        this.serverLog = log;
        maildrop.create();
        this.watch = FileSystems.getDefault().newWatchService();
        maildrop.directory().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
        this.thread = new Thread(this::loop, "pickup");
        thread.setDaemon(true);
    }

    /** Creates maildrop/ if needed and starts picking up, beginning with what waited while the daemon was down. */
    public static Pickup start(PickupSettings settings, BounceSettings bounces, Cleanup cleanup, MailLog log) throws IOException {
        Pickup p = new Pickup(settings, cleanup, new Bounce(bounces, cleanup, log, java.time.Clock.systemUTC()), log);
        p.thread.start();
        return p;
    }

    /**
     * Without bounces: a message cleanup refuses for good is moved to corrupt/ with a warning
     * instead of being returned to its sender. For tests of the rest, and callers without bounce settings.
     */
    public static Pickup start(PickupSettings settings, Cleanup cleanup, MailLog log) throws IOException {
        Pickup p = new Pickup(settings, cleanup, null, log);
        p.thread.start();
        return p;
    }

    private void loop() {
        while (running) {
            try {
                scan();
            } catch (RuntimeException e) {
                // Never let one bad surprise stop local mail for the daemon's lifetime.
                log.warning("pickup", "scan failed, retrying: " + e);
            }
            try {
                WatchKey key = watch.poll(untilNextScan(), TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
        }
    }

    /** Milliseconds to the next scan without an event: the scan interval, or sooner for a file to retry. */
    private long untilNextScan() {
        long wait = settings.scanInterval().toMillis();
        long now = System.currentTimeMillis();
        for (long at : retryAt.values()) {
            wait = Math.min(wait, Math.max(1, at - now));
        }
        return wait;
    }

    /** One pass over maildrop/, oldest first. Package-private for tests. */
    void scan() {
        List<Path> files;
        try {
            files = maildrop.ready();
        } catch (IOException e) {
            log.warning("pickup", "cannot list " + maildrop.directory() + ": " + e.getMessage());
            return;
        }
        long now = System.currentTimeMillis();
        retryAt.keySet().retainAll(files);
        done.retainAll(files);
        for (Path f : files) {
            if (!running || Thread.currentThread().isInterrupted()) {
                return;
            }
            if (!done.contains(f) && retryAt.getOrDefault(f, 0L) <= now) {
                pickUp(f);
            }
        }
    }

    /** A maildrop file read and checked: what cleanup needs. */
    private record Submission(Path file, String name, long uid, Instant arrival, MaildropFile message,
                              ReversePath sender, List<MailAddress> recipients, Map<MailAddress, String> given) {
    }

    private void pickUp(Path file) {
        Submission s = read(file);
        if (s == null) {
            return;
        }
        CleanupTransaction tx = submit(s);
        if (tx == null) {
            return;
        }
        try {
            Files.delete(file);
            AtomicFile.fsyncDirectory(maildrop.directory());
        } catch (IOException e) {
            // Queued already: never submit it again (until restart), and say so loudly.
            done.add(file);
            log.warning("pickup", s.name() + ": queued as " + tx.queueId() + " but cannot remove it: " + e.getMessage()
                    + "; remove it by hand or it is delivered again after a restart");
        }
    }

    /** The file's content, owner and time, parsed; null when it is gone, unreadable (retried) or moved aside. */
    private Submission read(Path file) {
        String name = "maildrop/" + file.getFileName();
        byte[] bytes;
        long uid;
        Instant arrival;
        try {
            // Never through a symbolic link: a link in maildrop/ must not make pickup read another file.
            uid = ((Number) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                moveAside(file, name, uid, "not a regular file");
                return null;
            }
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readAllBytes();
            }
            arrival = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
        } catch (NoSuchFileException gone) {
            return null;
        } catch (IOException | UnsupportedOperationException e) {
            log.warning("pickup", name + ": cannot read: " + e.getMessage());
            retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
            return null;
        }
        if (Spool.isQueueFile(bytes)) {
            if (byTheMailSystem(file)) {
                resubmit(file, name, uid, arrival);
            } else { // pickup.c's MAIL_IS_REQUEUED: a queue file that anyone else wrote is not trusted
                moveAside(file, name, uid, "a queue file not owned by the mail system, or readable by others");
            }
            return null;
        }
        try {
            MaildropFile m = MaildropFile.decode(bytes);
            // Each recipient once (Postfix's cleanup drops duplicates): -t plus the same address
            // as an argument, or To and Cc naming one person, must not deliver twice.
            // What sendmail was given (root, host!user) is completed in cleanup's local context,
            // and kept as the original recipient (Postfix's orig_rcpt: orig_to=<root>).
            List<MailAddress> recipients = new ArrayList<>();
            Map<MailAddress, String> given = new HashMap<>();
            Set<String> seen = new HashSet<>();
            for (String r : m.recipients()) {
                MailAddress a = MailAddress.parse(cleanup.localForm(r));
                if (seen.add(a.localPart() + "@" + a.domainKey())) {
                    recipients.add(a);
                    // what the queue file cannot hold (over 256 characters, a control character:
                    // only a hand-made file has one) is not kept as the original
                    if (!a.toString().equals(r) && QueueEnvelope.isValidOriginal(r)) {
                        given.put(a, r);
                    }
                }
            }
            ReversePath sender = m.sender().isEmpty() ? ReversePath.NULL
                    : ReversePath.of(MailAddress.parse(cleanup.localForm(m.sender())));
            return new Submission(file, name, uid, arrival, m, sender, recipients, given);
        } catch (MaildropFile.MalformedException | IllegalArgumentException e) {
            moveAside(file, name, uid, e.getMessage());
            return null;
        }
    }

    /** Through cleanup; the committed transaction, or null when it was not queued (retried or moved aside). */
    private CleanupTransaction submit(Submission s) {
        MaildropFile m = s.message();
        boolean utf8 = !isAscii(m.sender()) || m.recipients().stream().anyMatch(r -> !isAscii(r));
        CleanupTransaction tx = cleanup.open(new Envelope(s.sender(), "", "", "local", s.arrival(), utf8,
                hasEightBit(m.content()), "pickup"), settings.cleanupService());
        log.info("pickup", tx.queueId() + ": uid=" + s.uid() + " from=<" + m.sender() + ">"); // as given, as pickup.c
        for (MailAddress r : s.recipients()) {
            String given = s.given().get(r);
            // Original-Recipient in notices, ORCPT= to the next hop; Postern where it differs from the given
            RecipientDsn dsn = given == null ? RecipientDsn.NONE : SenderReturn.orcptOfGiven(r, utf8 && !isAscii(r.toString()));
            tx.addRecipient(r, dsn, given);
        }
        pickupOptions(tx);
        byte[] content = LocalHeaders.rewrite(m.content(), s.sender().toString(), m.fullname(), s.uid(), tx.queueId().toString(),
                settings.myhostname(), settings.mailName(), "", ZonedDateTime.now(ZoneId.systemDefault()));
        return commit(s, tx, content) ? tx : null;
    }

    /** pickup's content_filter and receive_override_options, for local and requeued mail alike. */
    private void pickupOptions(CleanupTransaction tx) {
        if (!settings.contentFilter().isEmpty()) {
            tx.filter(settings.contentFilter()); // pickup.c: the FILTER record of var_filter_xport
        }
        if (!settings.headerBodyChecks()) {
            tx.skipHeaderBodyChecks(); // receive_override_options = no_header_body_checks
        }
        if (!settings.addressMappings()) {
            tx.skipAddressMappings(); // receive_override_options = no_address_mappings
        }
    }

    /**
     * Writes the content and commits; true when queued. A permanent refusal returns the message
     * to its sender (or moves the file aside without bounces); anything else retries the file later.
     */
    private boolean commit(Submission s, CleanupTransaction tx, byte[] content) {
        tx.write(Unpooled.wrappedBuffer(content));
        try {
            tx.commit().get(5, TimeUnit.MINUTES);
            return true;
        } catch (ExecutionException e) {
            tx.abort();
            if (e.getCause() instanceof SmtpException se && se.reply().isPermanent()) {
                if (returns != null) {
                    returnToSender(s, tx.queueId(), content, se);
                } else {
                    moveAside(s.file(), s.name(), s.uid(), se.reply().oneLine());
                }
            } else {
                log.warning("pickup", s.name() + ": " + tx.queueId() + ": not queued, will retry: "
                        + (e.getCause() == null ? e : e.getCause().getMessage()));
                retryAt.put(s.file(), System.currentTimeMillis() + RETRY_MILLIS);
            }
        } catch (InterruptedException e) {
            tx.abort();
            Thread.currentThread().interrupt();
        } catch (TimeoutException e) {
            tx.abort();
            log.warning("pickup", s.name() + ": " + tx.queueId() + ": queue file write timed out, will retry");
            retryAt.put(s.file(), System.currentTimeMillis() + RETRY_MILLIS);
        }
        return false;
    }

    /**
     * Whether a queue file in maildrop/ is the mail system's own (Postfix's MAIL_IS_REQUEUED: owned
     * by mail_owner, not readable by others): owned by the queue directory's owner, no group or
     * other permission bits. Only such a file's envelope (client, arrival, DSN, originals, header
     * context) is taken as it stands; maildrop/ may be opened to local users.
     */
    private boolean byTheMailSystem(Path file) {
        try {
            var owner = Files.getOwner(file, LinkOption.NOFOLLOW_LINKS);
            var perms = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
            return owner.equals(Files.getOwner(settings.queueDirectory()))
                    && perms.stream().allMatch(p -> p.name().startsWith("OWNER_"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /**
     * A queue file that {@code postern queue requeue} moved here (Postfix's postsuper -r, which
     * moves it to maildrop/ for pickup): submitted through cleanup again with a new queue ID,
     * logged {@code NEWID: uid=N from=<sender> orig_id=OLDID} as Postfix's pickup logs it. What
     * Postfix keeps is kept: the sender, the recipients not yet delivered with their NOTIFY, ORCPT
     * and original address, RET and ENVID, the arrival time, the header rewrite context; what it
     * does again is done again: pickup.c's Received header, address rewriting, header and body
     * checks, pickup's content_filter (the old one is dropped) and receive_override_options.
     * A message with no recipient left is removed (pickup.c discards it too).
     */
    private void resubmit(Path file, String name, long uid, Instant mtime) {
        QueuedMessage q;
        byte[] content;
        try {
            q = Spool.readQueueFile(file);
            try (InputStream in = q.content().open()) {
                content = in.readAllBytes();
            }
        } catch (CorruptQueueFileException e) {
            moveAside(file, name, uid, "damaged queue file: " + e.getMessage());
            return;
        } catch (NoSuchFileException gone) {
            return;
        } catch (IOException e) {
            log.warning("pickup", name + ": cannot read: " + e.getMessage());
            retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
            return;
        }
        QueueEnvelope env = q.envelope();
        if (env.recipients().isEmpty()) {
            remove(file, name, "every recipient was done");
            return;
        }
        CleanupTransaction tx = cleanup.open(new Envelope(env.sender(), env.client(), env.helo(), env.protocol(),
                env.arrival(), env.smtpUtf8(), env.eightBitMime(), "pickup", env.dsn()), settings.cleanupService());
        log.info("pickup", tx.queueId() + ": uid=" + uid + " from=<" + env.sender() + "> orig_id=" + file.getFileName());
        for (MailAddress r : env.recipients()) {
            tx.addRecipient(r, env.dsnOf(r), env.originalOf(r));
        }
        pickupOptions(tx); // the message's old content filter is dropped (pickup.c copy_segment())
        if (env.remoteHeaderContext()) {
            tx.remoteHeaderRewrite(); // postsuper(1): "the same as when the message was received"
        }
        Instant now = Instant.now(); // a deferred file's mtime was its next attempt: never date the header ahead
        byte[] received = LocalHeaders.received(uid, tx.queueId().toString(), settings.myhostname(), settings.mailName(),
                ZonedDateTime.ofInstant(mtime.isAfter(now) ? now : mtime, ZoneId.systemDefault()))
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[received.length + content.length];
        System.arraycopy(received, 0, all, 0, received.length);
        System.arraycopy(content, 0, all, received.length, content.length);
        Map<MailAddress, String> originals = new HashMap<>();
        for (MailAddress r : env.recipients()) {
            if (env.originalOf(r) != null) {
                originals.put(r, env.originalOf(r));
            }
        }
        Submission s = new Submission(file, name, uid, env.arrival(), null, env.sender(), env.recipients(), originals);
        if (commit(s, tx, all)) {
            remove(file, name, null);
        }
    }

    /** Deletes a maildrop file whose message is queued (or needs no queuing: {@code why} says so). */
    private void remove(Path file, String name, String why) {
        try {
            Files.delete(file);
            AtomicFile.fsyncDirectory(maildrop.directory());
            if (why != null) {
                log.info("pickup", name + ": removed: " + why);
            }
        } catch (NoSuchFileException gone) {
            // someone else removed it
        } catch (IOException e) {
            done.add(file);
            log.warning("pickup", name + ": cannot remove it: " + e.getMessage()
                    + "; remove it by hand or it is submitted again after a restart");
        }
    }

    /** See {@link SenderReturn}: the file is removed only once the notice is queued. */
    private void returnToSender(Submission s, QueueId qid, byte[] content, SmtpException refusal) {
        if (!returns.bounced(qid, s.sender(), s.arrival(), s.recipients(), s.given(), content, refusal)) {
            log.warning("pickup", s.name() + ": " + qid + ": non-delivery notification not queued, will retry");
            retryAt.put(s.file(), System.currentTimeMillis() + RETRY_MILLIS);
            return;
        }
        try {
            Files.delete(s.file());
            AtomicFile.fsyncDirectory(maildrop.directory());
            serverLog.removed(qid.toString());
        } catch (IOException e) {
            done.add(s.file());
            log.warning("pickup", s.name() + ": " + qid + ": returned to sender but cannot remove it: " + e.getMessage()
                    + "; remove it by hand or it is returned again after a restart");
        }
    }

    private void moveAside(Path file, String name, long uid, String why) {
        try {
            Path to = maildrop.moveAside(file);
            log.warning("pickup", name + ": uid=" + uid + ": " + why + "; moved to " + to);
        } catch (IOException e) {
            log.warning("pickup", name + ": uid=" + uid + ": " + why + "; cannot move it aside ("
                    + e.getMessage() + "), will retry");
            retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
        }
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    private static boolean hasEightBit(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return true;
            }
        }
        return false;
    }

    /** Stops after the message in hand is committed; what is left stays in maildrop/ for the next start. */
    @Override
    public void close() {
        running = false;
        try {
            watch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.postern.cleanup;

import dev.postern.checks.ContentChecks;
import dev.postern.log.MailLog;
import dev.postern.mail.QueueId;
import dev.postern.queue.Spool;
import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteSettings;
import dev.postern.util.ElasticPool;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * cleanup - the single intake of the queue: smtpd (and later sendmail and bounces) open
 * transactions here. File I/O runs on cleanup's own threads, never on a Netty event loop.
 */
public final class Cleanup implements AutoCloseable {
    private final Spool spool;
    private final CleanupSettings settings;
    private final MailLog log;
    private final Runnable onCommit;
    private final ExecutorService io;
    private final LongAccumulator peakQueued = new LongAccumulator(Long::max, 0);
    private final FreeSpace freeSpace;
    /** By cleanup service name (cleanup_service_name). */
    private final java.util.Map<String, ContentChecks> checks;
    /** main.cf's (the default service's and trivial-rewrite's). */
    private final AddressRewriting rewriting;
    /** A cleanup line's own, by service name, when its -o changes the rewriting (else {@link #rewriting}). */
    private final java.util.Map<String, AddressRewriting> serviceRewriting;

    public Cleanup(Spool spool, CleanupSettings settings, MailLog log, Runnable onCommit) {
        // fsync blocks for milliseconds without using CPU: up to enough threads that concurrent
        // sessions fsync in parallel instead of queueing behind each other, but only as many as the
        // load has needed at once, each ended after a minute without work (as qmgr's delivery threads).
        this(spool, settings, log, onCommit, ElasticPool.create("cleanup",
                Math.max(32, Runtime.getRuntime().availableProcessors() * 8), Duration.ofMinutes(1)));
    }

    /**
     * With a given I/O executor (tests slow it down to see back-pressure work); shut down by {@link #close()}.
     * @throws IllegalArgumentException naming the parameter, when a header_checks or body_checks table cannot be opened
     */
    public Cleanup(Spool spool, CleanupSettings settings, MailLog log, Runnable onCommit, ExecutorService io) {
        try {
            this.checks = open(settings);
            // trivial-rewrite's notices (append_dot_mydomain's old default in use), as Postfix logs them
            java.util.function.Consumer<String> notice = t -> log.info("trivial-rewrite", t);
            this.rewriting = AddressRewriting.open(settings.rewriting(), notice);
            this.serviceRewriting = openRewriting(settings, notice);
        } catch (IllegalArgumentException e) {
            io.shutdown();
            throw e;
        }
        this.spool = spool;
        this.settings = settings;
        this.log = log;
        this.freeSpace = new FreeSpace(spool::usableSpace);
        // After each commit the space it took is read again, for the next MAIL: here, on the thread
        // that completed the commit (never an event loop), since one statfs() costs far less than
        // waking the statvfs thread for it.
        this.onCommit = () -> {
            onCommit.run();
            freeSpace.refresh();
        };
        this.io = io;
    }

    /**
     * For {@code postern check} and start: opens the header and body check tables once.
     * @return a warning per table that cannot be read now (its mail is answered 451 until it can)
     * @throws IllegalArgumentException "parameter: file:line: problem" for a table with a bad line
     */
    public static java.util.List<String> validate(CleanupSettings settings) {
        java.util.List<String> out = new java.util.ArrayList<>();
        open(settings).forEach((name, c) -> c.unavailable().forEach(w -> out.add(
                name.equals(CleanupSettings.DEFAULT_SERVICE) ? w : "cleanup service " + name + ": " + w)));
        out.addAll(AddressRewriting.open(settings.rewriting()).unavailable());
        openRewriting(settings, null).forEach((name, r) -> r.unavailable().forEach(w -> out.add("cleanup service " + name + ": " + w)));
        return out;
    }

    /** The rewriting of each cleanup service whose line changes it; services with equal settings share tables. */
    private static java.util.Map<String, AddressRewriting> openRewriting(CleanupSettings settings,
                                                                         java.util.function.Consumer<String> notice) {
        java.util.Map<RewriteSettings, AddressRewriting> opened = new java.util.HashMap<>();
        java.util.Map<String, AddressRewriting> out = new java.util.HashMap<>();
        settings.serviceRewriting().forEach((name, s) -> {
            try {
                out.put(name, opened.computeIfAbsent(s, x -> AddressRewriting.open(x, notice)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cleanup service " + name + ": " + e.getMessage(), e);
            }
        });
        return java.util.Map.copyOf(out);
    }

    /** Each service's tables; services with equal settings share them (the same files are opened once). */
    private static java.util.Map<String, ContentChecks> open(CleanupSettings settings) {
        java.util.Map<dev.postern.checks.ContentCheckSettings, ContentChecks> opened = new java.util.HashMap<>();
        java.util.Map<String, ContentChecks> out = new java.util.HashMap<>();
        settings.checks().forEach((name, s) -> {
            try {
                out.put(name, opened.computeIfAbsent(s, ContentChecks::open));
            } catch (IllegalArgumentException e) {
                throw name.equals(CleanupSettings.DEFAULT_SERVICE) ? e
                        : new IllegalArgumentException("cleanup service " + name + ": " + e.getMessage(), e);
            }
        });
        return java.util.Map.copyOf(out);
    }

    /** Through the default cleanup service ({@value CleanupSettings#DEFAULT_SERVICE}). */
    public CleanupTransaction open(Envelope envelope) {
        return open(envelope, CleanupSettings.DEFAULT_SERVICE);
    }

    /**
     * Through the named cleanup service: its header and body checks, and its address rewriting.
     * @throws IllegalArgumentException for a name that is no cleanup service (start refuses such a configuration)
     */
    public CleanupTransaction open(Envelope envelope, String cleanupService) {
        ContentChecks c = checks.get(cleanupService);
        if (c == null) {
            throw new IllegalArgumentException("no cleanup service " + cleanupService);
        }
        return new SpoolTransaction(QueueId.next(), envelope, spool, settings, c,
                serviceRewriting.getOrDefault(cleanupService, rewriting), log, onCommit, io, peakQueued);
    }

    /**
     * A local submission's envelope address as sendmail was given it ({@code root},
     * {@code host!user}, {@code user%host}) in trivial-rewrite's local context, as this cleanup's
     * envelope rewriting will see it: pickup turns what sendmail queued into an envelope address
     * with it and keeps what was given as the original recipient (Postfix's orig_rcpt).
     */
    public String localForm(String address) {
        return rewriting.envelopeLocal(address);
    }

    /** The most content bytes any one transaction has held in memory so far (see {@link CleanupTransaction#writable()}). */
    public long peakQueuedBytes() {
        return peakQueued.get();
    }

    /** The answer to "is there room for a new message?": {@code warning} is logged when not empty. */
    public record Space(boolean enough, String warning) {
    }

    /**
     * Postfix smtpd_check.c: smtpd_check_queue() (free space must exceed queue_minfree and 1.5 times
     * message_size_limit) and, for a declared {@code SIZE=}, smtpd_check_size() (the message must
     * fit above queue_minfree and in two thirds of what is free). Called on smtpd's event loop:
     * the free space is {@link FreeSpace}'s value (statvfs off the loop, read again after each
     * commit and when found a second old), never a system call here. {@code declaredSize} is 0 when the client declared none.
     */
    public Space space(long declaredSize) {
        long free = freeSpace.bytes();
        long minfree = settings.queueMinfree();
        if (free <= minfree || settings.messageSizeLimit() * 1.5 >= free) {
            return new Space(false, "not enough free space in mail queue: " + free + " bytes < 1.5*message size limit");
        }
        if (declaredSize > 0 && (declaredSize >= free - minfree || declaredSize * 1.5 >= free)) {
            return new Space(false, "");
        }
        return new Space(true, "");
    }

    @Override
    public void close() {
        freeSpace.close();
        io.shutdown();
    }
}

package dev.postern.cleanup;

import dev.postern.checks.ContentChecks;
import dev.postern.checks.ContentInspector;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.Reply;
import dev.postern.mail.SmtpException;
import dev.postern.queue.QueueEnvelope;
import dev.postern.queue.Spool;
import dev.postern.queue.SpoolWriter;
import dev.postern.rewrite.AddressRewriting;
import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * One message on its way into the queue. Calls arrive on a Netty event loop; every file operation
 * is chained, in order, on cleanup's I/O pool, so the caller never blocks and writes never reorder.
 * This class owns that chain (hand-offs, back-pressure, the queue file, commit's refusals in
 * Postfix's order, abort) and wires the parts that read the message: {@link MessageEnvelope} (the
 * recipients and the actions on the whole message), {@link HeaderStage} (the header section),
 * {@link ContentCheckTarget} (what header and body checks do) and {@link MessageRewrite}.
 */
final class SpoolTransaction implements CleanupTransaction {
    private final QueueId id;
    private final Spool spool;
    private final CleanupSettings settings;
    private final MailLog log;
    private final Runnable onCommit;
    private final Executor io;
    private final ContentChecks checks;
    private boolean skipChecks;
    /** canonical_maps, masquerade_domains, virtual_alias_maps and the header addresses. */
    private final MessageRewrite rewrite;
    private final MessageEnvelope envelope;

    // Touched only by tasks on the I/O chain.
    private final HeaderStage headers;
    private final ContentCheckTarget checked;
    private SpoolWriter writer;
    private long size;
    private boolean tooBig;
    private IOException failure;
    /** header_checks and body_checks, from the first byte on (null: none configured, or skipped). */
    private ContentInspector inspector;

    private CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
    private volatile boolean aborted;

    private static final CompletableFuture<Void> WRITABLE = CompletableFuture.completedFuture(null);
    private final AtomicLong queued = new AtomicLong();
    private final LongAccumulator peak;
    private CompletableFuture<Void> drained; // guarded by queued

    SpoolTransaction(QueueId id, Envelope envelope, Spool spool, CleanupSettings settings, ContentChecks checks,
                     AddressRewriting rewriting, MailLog log, Runnable onCommit, Executor io, LongAccumulator peak) {
        this.checks = checks;
        this.rewrite = new MessageRewrite(rewriting, envelope, settings.rewriting().myorigin(),
                w -> log.warning("cleanup", id + ": " + w));
        this.envelope = new MessageEnvelope(id, envelope, rewrite, settings.enableOriginalRecipient());
        this.headers = new HeaderStage(id, settings, rewrite, log);
        this.checked = new ContentCheckTarget(id, envelope, this.envelope, headers, log, () -> writer != null);
        this.id = id;
        this.spool = spool;
        this.settings = settings;
        this.log = log;
        this.onCommit = onCommit;
        this.io = io;
        this.peak = peak;
    }

    @Override
    public QueueId queueId() {
        return id;
    }

    @Override
    public void addRecipient(MailAddress recipient) {
        envelope.addRecipient(recipient);
    }

    @Override
    public void addRecipient(MailAddress recipient, RecipientDsn dsn) {
        envelope.addRecipient(recipient, dsn);
    }

    @Override
    public void addRecipient(MailAddress recipient, RecipientDsn dsn, String original) {
        envelope.addRecipient(recipient, dsn, original);
    }

    @Override
    public void hold() {
        envelope.hold();
    }

    @Override
    public void discard() {
        envelope.discard();
    }

    @Override
    public void redirect(MailAddress to) {
        envelope.redirect(to);
    }

    @Override
    public void addBcc(MailAddress to) {
        envelope.addBcc(to);
    }

    @Override
    public void filter(String transportAndNexthop) {
        envelope.filter(transportAndNexthop);
    }

    @Override
    public void skipHeaderBodyChecks() {
        skipChecks = true;
    }

    @Override
    public void remoteHeaderRewrite() {
        rewrite.remoteHeaders();
    }

    @Override
    public void skipAddressMappings() {
        rewrite.skipMappings();
    }

    /** Content not yet handed to the I/O chain (event-loop side): one hand-off per 256 KiB, not per read. */
    private final ByteArrayOutputStream unsent = new ByteArrayOutputStream();
    private static final int HAND_OFF_BYTES = 256 * 1024;

    @Override
    public void write(ByteBuf chunk) {
        byte[] bytes = new byte[chunk.readableBytes()];
        chunk.readBytes(bytes);
        chunk.release();
        peak.accumulate(queued.addAndGet(bytes.length));
        unsent.write(bytes, 0, bytes.length);
        if (unsent.size() >= HAND_OFF_BYTES) {
            handOff();
        }
    }

    private void handOff() {
        if (unsent.size() > 0) {
            byte[] bytes = unsent.toByteArray();
            unsent.reset();
            chain = chain.thenRunAsync(() -> {
                try {
                    append(bytes);
                } finally {
                    written(bytes.length);
                }
            }, io);
        }
    }

    @Override
    public long queuedBytes() {
        return queued.get();
    }

    @Override
    public CompletableFuture<Void> writable() {
        if (queued.get() <= BACKLOG_LIMIT) {
            return WRITABLE;
        }
        synchronized (queued) {
            if (queued.get() <= BACKLOG_LIMIT / 2) {
                return WRITABLE; // caught up meanwhile
            }
            if (drained == null) {
                drained = new CompletableFuture<>();
            }
            return drained;
        }
    }

    /** {@code n} queued bytes reached the file (or were dropped): wakes a paused writer once below half the limit. */
    private void written(long n) {
        if (queued.addAndGet(-n) <= BACKLOG_LIMIT / 2) {
            CompletableFuture<Void> d;
            synchronized (queued) {
                d = drained;
                drained = null;
            }
            if (d != null) {
                d.complete(null);
            }
        }
    }
    private void append(byte[] bytes) {
        if (aborted || failure != null || tooBig || rewrite.envelopeFailed()) {
            return; // after an envelope failure: see below
        }
        size += bytes.length;
        if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()) {
            tooBig = true;
            return;
        }
        try {
            if (size == bytes.length) { // the first content: the envelope first, as Postfix's cleanup reads its records
                envelope.rewriteNow();
                if (rewrite.envelopeFailed()) {
                    // Postfix's CLEANUP_STAT_WRITE (or DEFER) before the content: cleanup reads the rest
                    // and does nothing with it, so no header or body check, no hop count, no size can
                    // turn a table that could not answer into a permanent refusal. The reply is 451.
                    return;
                }
            }
            if (inspector == null && !skipChecks && !checks.isEmpty()) {
                inspector = new ContentInspector(checks, checked);
            }
            store(inspector == null ? bytes : inspector.feed(bytes));
        } catch (RuntimeException e) { // a bug must not break the chain: commit answers 451 and logs it
            failure = new IOException(e.toString(), e);
        }
    }

    /** The content as it goes into the queue file: the header block fixed, then the body as it comes. */
    private void store(byte[] bytes) {
        try {
            if (!headers.collecting()) {
                bytes = headers.body(bytes);
                if (writer != null) { // none for a discarded message
                    writer.write(ByteBuffer.wrap(bytes));
                }
                return;
            }
            HeaderStage.Flushed read = headers.collect(bytes, envelope.discarded(), inspector != null);
            if (read != null) {
                startFile(read);
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    /** The header section is read: the queue file starts, with the envelope as it is now. */
    private void startFile(HeaderStage.Flushed read) throws IOException {
        if (envelope.discarded() || checked.reject() != null) {
            return; // nothing is written: no file, no fsync
        }
        writer = new SpoolWriter(spool, id);
        writer.begin(envelope.queueEnvelope());
        writer.write(ByteBuffer.wrap(read.block()));
        writer.write(ByteBuffer.wrap(read.rest()));
    }

    @Override
    public CompletableFuture<Void> commit() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        byte[] rest = unsent.toByteArray();
        unsent.reset();
        chain = chain.thenRunAsync(() -> {
            if (rest.length > 0) {
                append(rest);
                written(rest.length);
            }
            if (inspector != null && !aborted && failure == null && !tooBig) {
                store(inspector.finish());
            }
            try {
                QueueEnvelope late = refuseBeforeHeaderEnd();
                if (failure == null && headers.collecting()) {
                    startFile(headers.finishCollecting(envelope.discarded(), inspector != null));
                }
                if (failure == null) { // the last header, when no empty line followed
                    byte[] last = headers.finish();
                    if (writer != null && last.length > 0) {
                        writer.write(ByteBuffer.wrap(last));
                    }
                }
                refuseAfterHeaderEnd();
                if (envelope.discarded()) {
                    // Postfix: cleanup logs the Message-ID, then removes the file; smtpd says 250. A
                    // body_checks DISCARD comes after the file was started: it goes too.
                    dropFile();
                    log.discarded(id.toString(), inspector != null ? null : headers.unloggedMessageId());
                    done.complete(null);
                    return;
                }
                if (late != null) {
                    writer.replaceEnvelope(late);
                }
                (envelope.held() ? writer.commitHeld() : writer.commit()).whenComplete((ok, e) -> {
                    if (e != null) {
                        log.warning("cleanup", id + ": queue file write error: " + e.getMessage());
                        writer.close();
                        done.completeExceptionally(writeError());
                        return;
                    }
                    writer = null;
                    log.committed();
                    onCommit.run();
                    done.complete(null);
                });
            } catch (SmtpException e) {
                dropFile();
                done.completeExceptionally(e);
            } catch (IOException | RuntimeException e) { // a bug must not leave the client waiting for its reply
                log.warning("cleanup", id + ": queue file write error: " + e);
                dropFile();
                done.completeExceptionally(writeError());
            }
        }, io);
        return done;
    }

    /*
     * Commit's refusals, in the order of Postfix's smtpd: a deferring REJECT first, then size, hops,
     * a REJECT (or a MIME error), a write error or a table failure.
     */

    /**
     * The refusals that come before the rest of the header is written; the envelope to write
     * again when a body check changed it after the file was started (null: none).
     */
    private QueueEnvelope refuseBeforeHeaderEnd() throws SmtpException {
        Reply reject = checked.reject();
        if (reject != null && reject.code() < 500) {
            throw new SmtpException(reject);
        }
        // A body check's BCC is expanded now: its failure must refuse the message like any other
        QueueEnvelope late = checked.envelopeChanged() && writer != null && !envelope.discarded() ? envelope.queueEnvelope() : null;
        if (rewrite.aliasExpansionFailed()) { // CLEANUP_STAT_DEFER comes before size and hops
            throw new SmtpException(Reply.of(451, "4.6.0", "Alias expansion error"));
        }
        if (tooBig) {
            throw new SmtpException(Reply.of(552, "5.3.4", "Error: message file too big"));
        }
        return late;
    }

    private void refuseAfterHeaderEnd() throws SmtpException, IOException {
        // Postfix's cleanup_header(): rejected when the hop count reaches hopcount_limit. This is what
        // ends a loop (a content filter whose copy comes back to a filtering service, two MTAs
        // relaying to each other), however the configuration made it. With header checks, the count
        // before they removed any (Postfix counts first).
        int received = inspector != null ? inspector.primaryReceived() : headers.received();
        if (settings.hopcountLimit() > 0 && received >= settings.hopcountLimit()) {
            log.warning("cleanup", id + ": message rejected: hopcount exceeded");
            throw new SmtpException(Reply.of(554, "5.4.0", "Error: too many hops"));
        }
        if (checked.reject() != null) {
            throw new SmtpException(checked.reject());
        }
        if (checked.mimeNesting()) { // mime_state's MIME_ERR_NESTING, when nothing else refused the message
            throw new SmtpException(Reply.of(550, "5.6.0", "MIME nesting exceeds safety limit"));
        }
        if (failure != null) { // Postfix's CLEANUP_STAT_WRITE comes last
            throw failure;
        }
        // a table that could not answer (a check's, a header address's, the envelope's): CLEANUP_STAT_WRITE, last
        if (checked.lookupFailed() || rewrite.headersFailed() || rewrite.envelopeFailed()) {
            throw writeError();
        }
    }

    private static SmtpException writeError() {
        return new SmtpException(Reply.of(451, "4.3.0", "Error: queue file write error"));
    }

    @Override
    public void abort() {
        aborted = true;
        written(unsent.size());
        unsent.reset();
        chain = chain.thenRunAsync(this::dropFile, io);
    }

    private void dropFile() {
        if (writer != null) {
            writer.close();
            writer = null;
        }
        headers.clear();
    }
}

package dev.postern.cleanup;

import dev.postern.checks.CheckActions;
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
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * One message on its way into the queue. Calls arrive on a Netty event loop; every file operation
 * is chained, in order, on cleanup's I/O pool, so the caller never blocks and writes never reorder.
 */
final class SpoolTransaction implements CleanupTransaction {
    private static final byte[] END_OF_HEADERS = {'\r', '\n', '\r', '\n'};

    private final QueueId id;
    private final Envelope envelope;
    private final Spool spool;
    private final CleanupSettings settings;
    private final MailLog log;
    private final Runnable onCommit;
    private final Executor io;
    private final List<MailAddress> recipients = new ArrayList<>();
    private final Map<MailAddress, RecipientDsn> recipientDsn = new HashMap<>();
    /** Originals given with the recipients (a requeued message's), by recipient. */
    private final Map<MailAddress, MailAddress> givenOriginals = new HashMap<>();
    // access(5) actions, set before the content (see CleanupTransaction)
    private boolean hold;
    private boolean discard;
    private MailAddress redirect;
    private List<MailAddress> bcc; // null: none
    private String filter; // null: none
    private final ContentChecks checks;
    private boolean skipChecks;
    /** canonical_maps, masquerade_domains, virtual_alias_maps and the header addresses. */
    private final MessageRewrite rewrite;

    // Touched only by tasks on the I/O chain.
    private final ByteArrayOutputStream header = new ByteArrayOutputStream();
    private boolean inHeaders = true;
    /** The primary headers after a block cut at header_size_limit (Postfix applies the limit per header). */
    private HeaderRewrite.Tail tail;
    /** Received headers counted in the block (without header checks). */
    private int blockReceived;
    private SpoolWriter writer;
    private long size;
    private boolean tooBig;
    /** More Received headers than hopcount_limit: a mail loop (Postfix's CLEANUP_STAT_HOPS). */
    private boolean tooManyHops;
    private IOException failure;
    private String messageId;
    private boolean messageIdLogged;
    private boolean resentIdLogged;
    /** When the inspector saw the message's header end: the time of an added Message-Id and Date, logged then. */
    private ZonedDateTime headerEndTime;
    /** header_checks and body_checks, from the first byte on (null: none configured, or skipped). */
    private ContentInspector inspector;
    /** A REJECT from header or body checks (550 5.x.x, or 451 4.x.x: deferred). */
    private Reply contentReject;
    /** A check's table could not answer: 451 4.3.0, as Postfix's CLEANUP_STAT_WRITE. */
    private boolean checkLookupFailed;
    /** A multipart nested deeper than mime_nesting_limit, with header checks set: 550 5.6.0 unless refused otherwise. */
    private boolean mimeNesting;
    /** A body check's FILTER, REDIRECT or BCC after the envelope was handed to the writer. */
    private boolean envelopeChanged;

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
        this.id = id;
        this.envelope = envelope;
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
        recipients.add(recipient);
    }

    @Override
    public void addRecipient(MailAddress recipient, RecipientDsn dsn) {
        recipients.add(recipient);
        if (dsn != null && !dsn.isNone()) {
            recipientDsn.put(recipient, dsn);
        }
    }

    @Override
    public void addRecipient(MailAddress recipient, RecipientDsn dsn, MailAddress original) {
        addRecipient(recipient, dsn);
        if (original != null && !original.equals(recipient)) {
            givenOriginals.put(recipient, original);
        }
    }

    @Override
    public void hold() {
        hold = true;
    }

    @Override
    public void discard() {
        discard = true;
    }

    @Override
    public void redirect(MailAddress to) {
        redirect = to;
    }

    @Override
    public void addBcc(MailAddress to) {
        if (bcc == null) {
            bcc = new ArrayList<>(1);
        }
        bcc.add(to);
    }

    @Override
    public void filter(String transportAndNexthop) {
        // One header line in the queue file, whatever the caller was handed (callers refuse such values first).
        filter = transportAndNexthop.isBlank() ? null : transportAndNexthop.replace('\r', ' ').replace('\n', ' ');
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
        if (aborted || failure != null || tooBig) {
            return;
        }
        size += bytes.length;
        if (settings.messageSizeLimit() > 0 && size > settings.messageSizeLimit()) {
            tooBig = true;
            return;
        }
        try {
            if (size == bytes.length) { // the first content: the envelope first, as Postfix's cleanup reads its records
                rewrite.envelopeNow(recipients, recipientDsn);
            }
            if (inspector == null && !skipChecks && !checks.isEmpty()) {
                inspector = new ContentInspector(checks, new CheckTarget());
            }
            store(inspector == null ? bytes : inspector.feed(bytes));
        } catch (RuntimeException e) { // a bug must not break the chain: commit answers 451 and logs it
            failure = new IOException(e.toString(), e);
        }
    }

    /** The content as it goes into the queue file: the header block fixed, then the body as it comes. */
    private void store(byte[] bytes) {
        try {
            if (!inHeaders) {
                if (tail != null) {
                    bytes = tail.feed(bytes);
                }
                if (writer != null) { // none for a discarded message
                    writer.write(ByteBuffer.wrap(bytes));
                }
                return;
            }
            int before = header.size();
            header.write(bytes, 0, bytes.length);
            byte[] h = header.toByteArray();
            int end = indexOf(h, END_OF_HEADERS, Math.max(0, before - 3));
            if (end >= 0) {
                flushHeaders(h, end + END_OF_HEADERS.length, true);
            } else if (settings.headerSizeLimit() > 0 && h.length > settings.headerSizeLimit()) {
                // Cut before a line that starts a header, so the Message-Id and Date added at the cut
                // never land between a folded header's lines (the lines after them would fold into Date:).
                // The rest is read header by header (HeaderRewrite.Tail); an over-long first header
                // leaves the block empty.
                flushHeaders(h, Math.max(0, lastHeaderStart(h)), false);
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    /**
     * Writes the first {@code headerEnd} bytes as the (fixed) header block and the rest as body;
     * {@code complete}: the block is the whole header section (not cut at header_size_limit, when
     * a From: may still follow, so none is added).
     */
    private void flushHeaders(byte[] h, int headerEnd, boolean complete) throws IOException {
        inHeaders = false;
        if (!complete) {
            tail = new HeaderRewrite.Tail(settings.headerSizeLimit(), settings.dropHeaders(), discard ? null : rewrite::headers);
        }
        // Postfix's mime_state_update(): header_size_limit applies to each header
        byte[] block = HeaderRewrite.cutLongHeaders(java.util.Arrays.copyOfRange(h, 0, headerEnd), settings.headerSizeLimit());
        if (!discard) { // Postfix reads no further after a DISCARD: a table failure here must not turn it into 451
            block = rewrite.headers(block);
        }
        HeaderBlock.Fixed fixed = HeaderBlock.fix(block, id.toString(), settings.myhostname(),
                headerEndTime == null ? ZonedDateTime.now() : headerEndTime, rewrite.sender().toString(),
                complete && (rewrite.headerContext() || settings.alwaysAddMissingHeaders()));
        messageId = fixed.messageId() == null ? "<>" : fixed.messageId();
        if (!discard && inspector == null && !rewrite.envelopeFailed()) { // with header checks the inspector says when (CheckTarget)
            // When the header is read, as Postfix's cleanup logs it: also for a message a body
            // check refuses later, and before the body checks' lines.
            for (String line : fixed.idLines()) {
                if (line.startsWith("message-id=")) {
                    log.messageId(id.toString(), line.substring("message-id=".length()));
                } else {
                    log.resentMessageId(id.toString(), line.substring("resent-message-id=".length()));
                }
            }
            messageIdLogged = true;
        }
        // Postfix's cleanup_header(): rejected when the hop count reaches hopcount_limit. This is what
        // ends a loop (a content filter whose copy comes back to a filtering service, two MTAs
        // relaying to each other), however the configuration made it.
        blockReceived = fixed.received();
        tooManyHops = settings.hopcountLimit() > 0 && fixed.received() >= settings.hopcountLimit();
        if (inspector != null) { // the count before header_checks removed any (Postfix counts first)
            tooManyHops = settings.hopcountLimit() > 0 && inspector.primaryReceived() >= settings.hopcountLimit();
        }
        header.reset();
        if (discard || contentReject != null) {
            return; // nothing is written: no file, no fsync
        }
        begin();
        // message_drop_headers after the Resent- check above (a dropped Resent-Bcc still makes the message resent)
        writer.write(ByteBuffer.wrap(HeaderRewrite.drop(fixed.bytes(), settings.dropHeaders())));
        byte[] rest = java.util.Arrays.copyOfRange(h, headerEnd, h.length);
        writer.write(ByteBuffer.wrap(tail == null ? rest : tail.feed(rest)));
    }

    private void begin() throws IOException {
        writer = new SpoolWriter(spool, id);
        writer.begin(queueEnvelope());
    }

    /** The envelope as the actions so far make it. */
    private QueueEnvelope queueEnvelope() {
        List<MailAddress> rcpts = recipients;
        Map<MailAddress, RecipientDsn> dsn = recipientDsn;
        if (bcc != null) { // BCC recipients are mapped like the others (Postfix's cleanup_addr_bcc())
            RedirectAndBcc.Recipients r = RedirectAndBcc.apply(rcpts, dsn, null, bcc, envelope.smtpUtf8());
            rcpts = r.list();
            dsn = r.dsn();
        }
        EnvelopeRewrite.Recipients rewritten = rewrite.recipients(rcpts, dsn);
        rcpts = rewritten.list();
        dsn = rewritten.dsn();
        Map<MailAddress, MailAddress> originals = withGivenOriginals(rewritten.originals(), rcpts);
        if (redirect != null) { // the REDIRECT address is not mapped: Postfix's qmgr puts it in as it is
            MailAddress first = rcpts.stream().min(RedirectAndBcc.QMGR_ORDER).orElseThrow();
            MailAddress original = originals.getOrDefault(first, first); // it keeps the first one's orig_rcpt
            originals = original.toString().equalsIgnoreCase(redirect.toString()) ? Map.of() : Map.of(redirect, original);
            RedirectAndBcc.Recipients r = RedirectAndBcc.apply(rcpts, dsn, redirect, List.of(), envelope.smtpUtf8());
            rcpts = r.list();
            dsn = r.dsn();
        }
        return new QueueEnvelope(id, envelope.arrival(), rewrite.sender(), envelope.client(), envelope.helo(),
                envelope.protocol(), envelope.smtpUtf8(), envelope.eightBitMime(), rcpts, envelope.dsn(), dsn,
                redirect == null ? filter : null, // REDIRECT overrides FILTER (Postfix qmgr_message_resolve())
                settings.enableOriginalRecipient() ? originals : Map.of(), rewritten.expanded(), !rewrite.headerContextLocal());
    }

    /**
     * A requeued recipient keeps the original it came with (Postfix's pickup passes the ORCP
     * record on, and cleanup keeps it for every address the recipient becomes).
     */
    private Map<MailAddress, MailAddress> withGivenOriginals(Map<MailAddress, MailAddress> rewritten, List<MailAddress> rcpts) {
        if (givenOriginals.isEmpty()) {
            return rewritten;
        }
        Map<MailAddress, MailAddress> out = new HashMap<>();
        for (MailAddress r : rcpts) {
            MailAddress from = rewritten.getOrDefault(r, r); // the recipient as added
            MailAddress first = givenOriginals.getOrDefault(from, from);
            if (!first.toString().equalsIgnoreCase(r.toString())) {
                out.put(r, first);
            }
        }
        return out;
    }

    /**
     * What a header_checks or body_checks action does to this message. Called on the I/O chain,
     * as the content passes; the access-table actions ran before the first byte.
     */
    private final class CheckTarget implements CheckActions.Target {
        @Override
        public boolean heldOrDiscarded() {
            return hold || discard;
        }

        @Override
        public void hold() {
            SpoolTransaction.this.hold();
        }

        @Override
        public void discard() {
            SpoolTransaction.this.discard();
        }

        @Override
        public void filter(String transportAndNexthop) {
            SpoolTransaction.this.filter(transportAndNexthop);
            envelopeChanged |= writer != null;
        }

        @Override
        public void redirect(MailAddress to) {
            SpoolTransaction.this.redirect(to);
            envelopeChanged |= writer != null;
        }

        @Override
        public void bcc(MailAddress to) {
            addBcc(to);
            envelopeChanged |= writer != null;
        }

        @Override
        public void reject(Reply reply) {
            if (contentReject == null) {
                contentReject = reply;
            }
        }

        @Override
        public void lookupFailed(String parameter, dev.postern.maps.LookupException cause) {
            log.warning("cleanup", id + ": " + parameter + " map lookup problem -- message not accepted, try again later");
            checkLookupFailed = true;
        }

        @Override
        public void log(String action, String where, String content, String text) {
            boolean local = envelope.client().isEmpty(); // pickup: Postfix's origin "local", no proto or HELO
            // proto= as smtpd's other lines say it (ESMTP, SMTP): Postfix's state->protocol, not
            // the Received header's ESMTPS/ESMTPSA
            log.contentAction(id.toString(), action, where, content, origin(),
                    envelope.sender().toString(), recipients.isEmpty() ? null : recipients.get(recipients.size() - 1).toString(),
                    local ? null : envelope.protocol().replaceFirst("S?A?$", ""), envelope.helo().isEmpty() ? null : envelope.helo(),
                    text);
        }

        @Override
        public void warn(String text) {
            log.warning("cleanup", text);
        }

        @Override
        public void messageIdSeen(String value) {
            // Postfix logs it as cleanup reads the header, unless a REJECT or DISCARD came first
            if (!discard && contentReject == null && !messageIdLogged && !rewrite.envelopeFailed()) {
                log.messageId(id.toString(), value);
                messageIdLogged = true;
            }
        }

        @Override
        public void resentMessageIdSeen(String value) {
            if (!discard && contentReject == null && !resentIdLogged && !rewrite.envelopeFailed()) {
                log.resentMessageId(id.toString(), value);
                resentIdLogged = true;
            }
        }

        @Override
        public void primaryHeaderEnded(boolean resent) {
            // cleanup_header_done_callback(): a missing (Resent-)Message-Id is added, and logged, now
            // (HeaderBlock adds it with this time); a resent message without a Message-ID logs <>
            headerEndTime = ZonedDateTime.now();
            if (discard || contentReject != null || rewrite.envelopeFailed()) {
                return;
            }
            String added = HeaderBlock.addedMessageId(id.toString(), settings.myhostname(), headerEndTime);
            if (resent && !resentIdLogged) {
                log.resentMessageId(id.toString(), added);
                resentIdLogged = true;
            }
            if (!messageIdLogged) {
                log.messageId(id.toString(), resent ? "<>" : added);
                messageIdLogged = true;
            }
        }

        @Override
        public void mimeNestingExceeded(String header) {
            mimeNesting = true;
            log.mimeError(id.toString(), "MIME nesting exceeds safety limit", header, origin(), envelope.sender().toString(),
                    recipients.isEmpty() ? "unknown" : recipients.get(recipients.size() - 1).toString());
        }

        /** Postfix's log origin: the client's name[addr], "local" for sendmail's mail. */
        private String origin() {
            return envelope.client().isEmpty() ? "local" : envelope.client();
        }
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
                // In the order of Postfix's smtpd: a deferring REJECT first, then size, hops, a REJECT (or
                // a MIME error), a write error or a table failure.
                if (contentReject != null && contentReject.code() < 500) {
                    throw new SmtpException(contentReject);
                }
                // A body check's BCC is expanded now: its failure must refuse the message like any other
                QueueEnvelope late = envelopeChanged && writer != null && !discard ? queueEnvelope() : null;
                if (rewrite.aliasExpansionFailed()) { // CLEANUP_STAT_DEFER comes before size and hops
                    throw new SmtpException(Reply.of(451, "4.6.0", "Alias expansion error"));
                }
                if (tooBig) {
                    throw new SmtpException(Reply.of(552, "5.3.4", "Error: message file too big"));
                }
                if (failure == null && inHeaders) {
                    byte[] h = header.toByteArray();
                    flushHeaders(h, h.length, true);
                }
                if (failure == null && tail != null) { // the last header, when no empty line followed
                    byte[] last = tail.finish();
                    if (writer != null && last.length > 0) {
                        writer.write(ByteBuffer.wrap(last));
                    }
                }
                if (inspector != null) {
                    tooManyHops = settings.hopcountLimit() > 0 && inspector.primaryReceived() >= settings.hopcountLimit();
                } else if (tail != null) {
                    tooManyHops = settings.hopcountLimit() > 0 && blockReceived + tail.received() >= settings.hopcountLimit();
                }
                if (tooManyHops) {
                    log.warning("cleanup", id + ": message rejected: hopcount exceeded");
                    throw new SmtpException(Reply.of(554, "5.4.0", "Error: too many hops"));
                }
                if (contentReject != null) {
                    throw new SmtpException(contentReject);
                }
                if (mimeNesting) { // mime_state's MIME_ERR_NESTING, when nothing else refused the message
                    throw new SmtpException(Reply.of(550, "5.6.0", "MIME nesting exceeds safety limit"));
                }
                if (failure != null) { // Postfix's CLEANUP_STAT_WRITE comes last
                    throw failure;
                }
                if (checkLookupFailed) {
                    throw writeError();
                }
                if (rewrite.headersFailed()) {
                    throw writeError();
                }
                if (rewrite.envelopeFailed()) { // a table that could not answer: CLEANUP_STAT_WRITE, last
                    throw writeError();
                }
                if (discard) {
                    // Postfix: cleanup logs the Message-ID, then removes the file; smtpd says 250. A
                    // body_checks DISCARD comes after the file was started: it goes too.
                    dropFile();
                    log.discarded(id.toString(), messageIdLogged || inspector != null ? null : messageId);
                    done.complete(null);
                    return;
                }
                if (late != null) {
                    writer.replaceEnvelope(late);
                }
                (hold ? writer.commitHeld() : writer.commit()).whenComplete((ok, e) -> {
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
        header.reset();
    }

    private static int indexOf(byte[] h, byte[] needle, int from) {
        outer:
        for (int i = from; i <= h.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (h[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** The last position after a CRLF where a line starts that is not a folded header's continuation; -1 if none. */
    private static int lastHeaderStart(byte[] h) {
        for (int i = h.length - 1; i >= 2; i--) {
            if (h[i - 2] == '\r' && h[i - 1] == '\n' && h[i] != ' ' && h[i] != '\t') {
                return i;
            }
        }
        return -1;
    }
}

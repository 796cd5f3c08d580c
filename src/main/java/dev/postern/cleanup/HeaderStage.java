package dev.postern.cleanup;

import dev.postern.log.MailLog;
import dev.postern.mail.QueueId;

import java.io.ByteArrayOutputStream;
import java.time.ZonedDateTime;
import java.util.Arrays;

/**
 * One message's primary header section on its way into the queue file, as Postfix's cleanup
 * handles it: collected in memory up to its end (or header_size_limit), then rewritten, fixed
 * (a missing Message-Id, Date, From: added; {@link HeaderBlock}) and written without
 * message_drop_headers; after a cut the rest goes header by header ({@link HeaderRewrite.Tail}).
 * It also counts the Received headers for hopcount_limit and logs {@code message-id=} once, at
 * the point where Postfix's cleanup does. It exists so that the header's handling, and the order
 * of its log lines, stays in one place apart from the I/O chain. Used on cleanup's I/O chain only.
 */
final class HeaderStage {
    private static final byte[] END_OF_HEADERS = {'\r', '\n', '\r', '\n'};

    private final QueueId id;
    private final CleanupSettings settings;
    private final MessageRewrite rewrite;
    private final MailLog log;

    private final ByteArrayOutputStream header = new ByteArrayOutputStream();
    private boolean inHeaders = true;
    /** The primary headers after a block cut at header_size_limit (Postfix applies the limit per header). */
    private HeaderRewrite.Tail tail;
    /** Received headers counted in the block (without header checks). */
    private int blockReceived;
    private String messageId;
    private boolean messageIdLogged;
    private boolean resentIdLogged;
    /** When the inspector saw the message's header end: the time of an added Message-Id and Date, logged then. */
    private ZonedDateTime headerEndTime;

    HeaderStage(QueueId id, CleanupSettings settings, MessageRewrite rewrite, MailLog log) {
        this.id = id;
        this.settings = settings;
        this.rewrite = rewrite;
        this.log = log;
    }

    /** Still collecting the header section: content goes to {@link #collect}, else to {@link #body}. */
    boolean collecting() {
        return inHeaders;
    }

    /**
     * Adds content to the header section. Null while it goes on; else the section is read (its end
     * came, or it passed header_size_limit) and this is what to write.
     *
     * @param discard     the message is discarded: its headers are not rewritten, no id is logged
     * @param checksLogIds header checks read the header: they say when message-id= is logged
     */
    Flushed collect(byte[] bytes, boolean discard, boolean checksLogIds) {
        int before = header.size();
        header.write(bytes, 0, bytes.length);
        byte[] h = header.toByteArray();
        int end = indexOf(h, END_OF_HEADERS, Math.max(0, before - 3));
        if (end >= 0) {
            return flush(h, end + END_OF_HEADERS.length, true, discard, checksLogIds);
        } else if (settings.headerSizeLimit() > 0 && h.length > settings.headerSizeLimit()) {
            // Cut before a line that starts a header, so the Message-Id and Date added at the cut
            // never land between a folded header's lines (the lines after them would fold into Date:).
            // The rest is read header by header (HeaderRewrite.Tail); an over-long first header
            // leaves the block empty.
            return flush(h, Math.max(0, lastHeaderStart(h)), false, discard, checksLogIds);
        }
        return null;
    }

    /** The header section as collected so far is all of it (the content ended without an empty line). */
    Flushed finishCollecting(boolean discard, boolean checksLogIds) {
        byte[] h = header.toByteArray();
        return flush(h, h.length, true, discard, checksLogIds);
    }

    /**
     * The header section read: the fixed header block that starts the queue file's content, and
     * the bytes that came after it in the same write. Made into bytes only when a file is written.
     */
    final class Flushed {
        private final HeaderBlock.Fixed fixed;
        private final byte[] rest;

        private Flushed(HeaderBlock.Fixed fixed, byte[] rest) {
            this.fixed = fixed;
            this.rest = rest;
        }

        /** The fixed header block, without message_drop_headers. */
        byte[] block() {
            // message_drop_headers after the Resent- check (a dropped Resent-Bcc still makes the message resent)
            return HeaderRewrite.drop(fixed.bytes(), settings.dropHeaders());
        }

        /** What came after the block in the same write, as the file takes it. */
        byte[] rest() {
            return body(rest);
        }
    }

    /**
     * Writes the first {@code headerEnd} bytes as the (fixed) header block and the rest as body;
     * {@code complete}: the block is the whole header section (not cut at header_size_limit, when
     * a From: may still follow, so none is added).
     */
    private Flushed flush(byte[] h, int headerEnd, boolean complete, boolean discard, boolean checksLogIds) {
        inHeaders = false;
        if (!complete) {
            tail = new HeaderRewrite.Tail(settings.headerSizeLimit(), settings.dropHeaders(), discard ? null : rewrite::headers);
        }
        // Postfix's mime_state_update(): header_size_limit applies to each header
        byte[] block = HeaderRewrite.cutLongHeaders(Arrays.copyOfRange(h, 0, headerEnd), settings.headerSizeLimit());
        if (!discard) { // Postfix reads no further after a DISCARD: a table failure here must not turn it into 451
            block = rewrite.headers(block);
        }
        HeaderBlock.Fixed fixed = HeaderBlock.fix(block, id.toString(), settings.myhostname(),
                headerEndTime == null ? ZonedDateTime.now() : headerEndTime, rewrite.sender().toString(),
                complete && (rewrite.headerContext() || settings.alwaysAddMissingHeaders()));
        messageId = fixed.messageId() == null ? "<>" : fixed.messageId();
        if (!discard && !checksLogIds && !rewrite.envelopeFailed()) { // with header checks the inspector says when
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
        blockReceived = fixed.received();
        header.reset();
        return new Flushed(fixed, Arrays.copyOfRange(h, headerEnd, h.length));
    }

    /** Content after the header block: the rest of the primary headers after a cut, then the body, as it comes. */
    byte[] body(byte[] bytes) {
        return tail == null ? bytes : tail.feed(bytes);
    }

    /** The last header after a cut, when no empty line followed it (empty when none). */
    byte[] finish() {
        return tail == null ? new byte[0] : tail.finish();
    }

    /** The primary header's Received headers, as cleanup read them (without header checks). */
    int received() {
        return blockReceived + (tail == null ? 0 : tail.received());
    }

    /** The message is dropped: nothing more is kept. */
    void clear() {
        header.reset();
    }

    /** The message's Message-Id when no message-id= line was logged for it (for the discard line), else null. */
    String unloggedMessageId() {
        return messageIdLogged ? null : messageId;
    }

    /**
     * Header checks passed the message's own Message-ID: Postfix logs it as cleanup reads the
     * header, unless a REJECT or DISCARD came first ({@code refused}).
     */
    void messageIdSeen(String value, boolean refused) {
        if (!refused && !messageIdLogged && !rewrite.envelopeFailed()) {
            log.messageId(id.toString(), value);
            messageIdLogged = true;
        }
    }

    /** Header checks passed the message's own Resent-Message-ID. */
    void resentMessageIdSeen(String value, boolean refused) {
        if (!refused && !resentIdLogged && !rewrite.envelopeFailed()) {
            log.resentMessageId(id.toString(), value);
            resentIdLogged = true;
        }
    }

    /** Header checks saw the primary header end ({@code refused}: after a REJECT or DISCARD). */
    void primaryHeaderEnded(boolean resent, boolean refused) {
        // cleanup_header_done_callback(): a missing (Resent-)Message-Id is added, and logged, now
        // (HeaderBlock adds it with this time); a resent message without a Message-ID logs <>
        headerEndTime = ZonedDateTime.now();
        if (refused || rewrite.envelopeFailed()) {
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

package dev.postern.smtp;

import dev.postern.checks.CheckActions;
import dev.postern.checks.ContentCheckSettings;
import dev.postern.checks.ContentChecks;
import dev.postern.checks.ContentInspector;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.Reply;
import dev.postern.rewrite.HeaderAddresses;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;

/**
 * smtp_header_checks, smtp_mime_header_checks, smtp_nested_header_checks, smtp_body_checks and
 * smtp_generic_maps: the queued content as the checks and the generic mapping leave it, read as a stream, so the DATA loop (dot-stuffing,
 * the 64 KiB writes, the write watchdog) is the same with or without them, and without them
 * ({@link #wrap}) is the queue file's own stream. Postfix's smtp_proto.c runs the content through
 * mime_state with smtp_header_rewrite() and smtp_body_rewrite(), which ask header_body_checks.c;
 * {@link ContentInspector} does the same walk. Only what changes the content exists here
 * (hbc_action(): IGNORE, STRIP, REPLACE, PREPEND, WARN, INFO, DUNNO, OK): the message is queued
 * already, so REJECT, HOLD, DISCARD, FILTER, REDIRECT, BCC, PASS and unknown commands are
 * "unsupported command in smtp_header_checks map: ..." warnings, and the header or line is sent.
 * The addresses of the message's own address headers (From:, To:, Cc:, Reply-To:, ...) then go
 * through smtp_generic_maps, as smtp_header_rewrite() does after the header checks; MIME part
 * headers and those of attached messages never do. With smtp_generic_maps alone the MIME
 * structure is not followed (Postfix's MIME_OPT_DISABLE_MIME): only the primary header matters.
 * One instance per delivery attempt, on the delivery worker's thread.
 */
final class CheckedContent extends InputStream {
    /**
     * A table could not answer (Postfix: {@code QUEUEID: smtp header checks lookup error}, then
     * SMTP_ERR_DATA): nothing more of the message can be sent, the attempt ends.
     */
    static final class LookupFailed extends IOException {
        LookupFailed(String warning) {
            super(warning);
        }
    }

    /**
     * smtp_generic_maps could not answer for a header address (Postfix's smtp ends with
     * {@code fatal: smtp_generic_maps map lookup problem for ...} in the middle of DATA): the
     * message is not finished; {@link #getMessage()} is that text.
     */
    static final class GenericLookupFailed extends IOException {
        GenericLookupFailed(String problem) {
            super(problem);
        }
    }

    private static final int CHUNK = 65536;

    private final InputStream in;
    private final ContentInspector inspector;
    private final HbcLogger target;
    private final byte[] scratch = new byte[CHUNK];
    private byte[] ready = new byte[0];
    private int at;
    private boolean finished;

    private CheckedContent(InputStream in, ContentChecks checks, HbcLogger target) {
        this.in = in;
        this.target = target;
        this.inspector = new ContentInspector(checks, target);
    }

    /** {@code in} itself when no table is set (no inspection, no copy), else the checked content. */
    static InputStream wrap(InputStream in, ContentChecks checks, QueueId queueId, MailLog log) {
        return wrap(in, checks, GenericMaps.NONE, queueId, log);
    }

    /**
     * {@code in} itself when neither a check table nor smtp_generic_maps is set, else the content
     * as they leave it. {@code checks} without a table (smtp_generic_maps alone) walks the header
     * only: see {@link #headerWalk}.
     */
    static InputStream wrap(InputStream in, ContentChecks checks, GenericMaps generic, QueueId queueId, MailLog log) {
        return checks.isEmpty() && generic.isEmpty() ? in
                : new CheckedContent(in, checks, new HbcLogger(queueId.toString(), log, generic));
    }

    /**
     * The walk for smtp_generic_maps without a check table: no tables, MIME structure not
     * followed (Postfix gives mime_state MIME_OPT_DISABLE_MIME when no check is set), the
     * transport's line and header limits.
     */
    static ContentChecks headerWalk(ContentCheckSettings k) {
        return ContentChecks.of(new ContentCheckSettings(k.prefix(), List.of(), List.of(), List.of(), List.of(),
                k.bodySizeLimit(), false, k.nestingLimit(), k.boundaryLimit(), k.lineLengthLimit(), k.headerSizeLimit()),
                null, null, null, null);
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (at == ready.length) {
            if (finished) {
                return -1;
            }
            fill();
        }
        int n = Math.min(len, ready.length - at);
        System.arraycopy(ready, at, b, off, n);
        at += n;
        return n;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /** The inspector's output for the next chunk of the queue file (empty while a line is incomplete). */
    private void fill() throws IOException {
        int n = in.read(scratch);
        byte[] out;
        if (n < 0) {
            out = inspector.finish();
            finished = true;
        } else {
            out = inspector.feed(n == scratch.length ? scratch : Arrays.copyOf(scratch, n));
        }
        if (target.genericFailure != null) {
            throw new GenericLookupFailed(target.genericFailure);
        }
        if (target.failure != null) {
            throw new LookupFailed(target.failure);
        }
        ready = out;
        at = 0;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /**
     * smtp_hbc_logger(): {@code QUEUEID: action: where content: text}, the content cut at 200
     * characters ({@code %.200s}), control characters (a folded header's newline and tab) as '?',
     * as Postfix's msg_info() prints them; warnings as msg_warn(), without the queue ID. Also
     * smtp_header_rewrite()'s smtp_generic_maps part.
     */
    private static final class HbcLogger implements CheckActions.Target {
        private final String queueId;
        private final MailLog log;
        private final GenericMaps generic;
        /** The warning for a table that could not answer, null while all answered. */
        String failure;
        /** smtp_generic_maps' problem when it could not answer, null while it did. */
        String genericFailure;

        HbcLogger(String queueId, MailLog log, GenericMaps generic) {
            this.queueId = queueId;
            this.log = log;
            this.generic = generic;
        }

        /**
         * smtp_header_rewrite(): every address of a sender or recipient header looked up in
         * internal form (smtp_map11_tree()); once one is found, even mapped to itself, the header
         * is rebuilt and folded as Postfix does ({@link HeaderAddresses#rewriteGeneric}).
         */
        @Override
        public String rewritePrimaryHeader(String header) {
            if (generic.isEmpty() || genericFailure != null) {
                return null;
            }
            try {
                return HeaderAddresses.rewriteGeneric(header, address -> {
                    String found = generic.find(address, this::warn);
                    // AddressMap gives the table's text; the tree takes the internal (unquoted) form.
                    return found == null ? null : HeaderAddresses.unquoteLocal(found);
                });
            } catch (GenericMaps.LookupFailed e) {
                genericFailure = e.getMessage();
                return null;
            }
        }

        @Override
        public boolean messageActions() {
            return false;
        }

        @Override
        public boolean heldOrDiscarded() {
            return false;
        }

        @Override
        public void log(String action, String where, String content, String text) {
            StringBuilder sb = new StringBuilder(80).append(queueId).append(": ").append(action).append(": ").append(where)
                    .append(' ');
            content.codePoints().limit(200).forEach(cp -> sb.appendCodePoint(printable(cp)));
            if (!text.isEmpty()) {
                sb.append(": ");
                text.codePoints().forEach(cp -> sb.appendCodePoint(printable(cp)));
            }
            log.info("smtp", sb.toString());
        }

        private static int printable(int cp) {
            return cp < 0x20 || cp == 0x7f ? '?' : cp;
        }

        @Override
        public void warn(String text) {
            log.warning("smtp", text);
        }

        @Override
        public void lookupFailed(String parameter, dev.postern.maps.LookupException cause) {
            // smtp_header_rewrite() and smtp_body_rewrite(): one wording for the three header tables
            failure = queueId + ": smtp " + (parameter.endsWith("body_checks") ? "body" : "header") + " checks lookup error";
        }

        // messageActions() is false: the inspector never asks for these (CheckActions.Target).

        @Override
        public void hold() {
            throw new IllegalStateException("not a content action");
        }

        @Override
        public void discard() {
            throw new IllegalStateException("not a content action");
        }

        @Override
        public void filter(String transportAndNexthop) {
            throw new IllegalStateException("not a content action");
        }

        @Override
        public void redirect(MailAddress to) {
            throw new IllegalStateException("not a content action");
        }

        @Override
        public void bcc(MailAddress to) {
            throw new IllegalStateException("not a content action");
        }

        @Override
        public void reject(Reply reply) {
            throw new IllegalStateException("not a content action");
        }
    }
}

package dev.postern.checks;

import dev.postern.checks.ContentChecks.HeaderClass;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Locale;
import java.util.Optional;

/**
 * Header and body inspection as Postfix does it (cleanup_message.c and header_body_checks.c over mime_state.c):
 * the content is cut into lines (pieces of at most line_length_limit bytes), headers are joined
 * across folded lines and each logical header is asked of the table of its class; body lines are
 * asked of body_checks, the first body_checks_size_limit bytes of each body part. MIME structure
 * is followed as mime_state does: multipart boundaries (a stack, up to mime_nesting_limit deep)
 * start part headers, message/rfc822 starts nested headers. The content comes out with the
 * actions applied (IGNORE, REPLACE, PREPEND); lines nothing changed come out byte for byte.
 * One instance per message, on one thread at a time; a message with no tables configured never
 * makes one. What an action does to the message is its {@link CheckActions.Target}'s business.
 */
public final class ContentInspector {
    private static final byte[] CRLF = {'\r', '\n'};

    private enum State { PRIMARY, MULTIPART, NESTED, BODY }

    /** What the current entity's body is (Postfix's curr_ctype/curr_stype, as far as the state machine needs). */
    private enum Kind { LEAF, MULTIPART, MESSAGE }

    /** A boundary as its bytes (compared with the body's bytes, whatever their charset). */
    private record Boundary(byte[] text, Kind partKind) {
    }

    /** Text for the tables and the charset it was read with, so a REPLACE writes the bytes it read. */
    private record Text(String s, Charset charset) {
    }

    private final ContentChecks checks;
    private final ContentCheckSettings limits;
    private final CheckActions.Target target;
    /** Postfix's MIME_OPT_REPORT_NESTING: cleanup with a header table refuses mail nested too deep. */
    private final boolean reportNesting;
    /**
     * Cleanup cuts a header at header_size_limit, as Postfix's does when it queues the message.
     * Where the message is queued already (the SMTP client) only what the tables see is cut: the
     * header goes out whole, as it would without a table.
     */
    private final boolean cutHeaders;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** Bytes of a line whose end has not arrived yet. */
    private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
    private final Deque<Boundary> boundaries = new ArrayDeque<>();

    private State state = State.PRIMARY;
    private Kind kind = Kind.LEAF;
    /** The previous piece was not the end of its line (Postfix's REC_TYPE_CONT). */
    private boolean previousContinues;
    private long bodyOffset;
    /** Later headers and lines are still asked (cleared by REJECT, DISCARD, PASS, REDIRECT). */
    private boolean inspecting = true;
    /** After a REJECT nothing more is written (Postfix's CLEANUP_OUT_OK); the walk goes on, for the hop count. */
    private boolean silent;
    private boolean nestingReported;
    /** A Resent- header went out in the message's own header. */
    private boolean resent;
    private int primaryReceived;

    // The logical header being collected: its bytes as the tables see them ("Name:" and the folded
    // lines joined by a newline), and its bytes as received.
    private final ByteArrayOutputStream headerKey = new ByteArrayOutputStream();
    private final ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
    private HeaderClass headerClass;

    public ContentInspector(ContentChecks checks, CheckActions.Target target) {
        this.checks = checks;
        this.limits = checks.settings;
        this.target = target;
        this.reportNesting = target.messageActions()
                && (checks.header != null || checks.mime != null || checks.nested != null);
        this.cutHeaders = target.messageActions();
    }

    /** Received headers in the message's own header, counted before any check removed one (Postfix's hop count). */
    public int primaryReceived() {
        return primaryReceived;
    }

    /** The content with the actions applied, for every line {@code in} completes. */
    public byte[] feed(byte[] in) {
        int start = 0;
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '\n') {
                partial.write(in, start, i + 1 - start);
                line(partial.toByteArray(), true);
                partial.reset();
                start = i + 1;
            }
        }
        partial.write(in, start, in.length - start);
        // A line without its end yet: whole pieces go now, so one long line never sits in memory.
        // One byte more than a piece stays, so a CR is never cut from its LF.
        int limit = limits.lineLengthLimit();
        if (partial.size() > 2 * limit + 1) {
            byte[] p = partial.toByteArray();
            int whole = (p.length - 1) / limit * limit;
            for (int off = 0; off < whole; off += limit) {
                piece(p, off, limit, true, 0);
            }
            partial.reset();
            partial.write(p, whole, p.length - whole);
        }
        return take();
    }

    /** The rest: a last line without its end, a header still being collected. */
    public byte[] finish() {
        if (partial.size() > 0) {
            line(partial.toByteArray(), false);
            partial.reset();
        }
        flushHeader();
        return take();
    }

    private byte[] take() {
        byte[] b = out.toByteArray();
        out.reset();
        return b;
    }

    /** One line with its CRLF (or LF; none at the very end), in pieces of at most line_length_limit. */
    private void line(byte[] l, boolean ended) {
        int eol = !ended ? 0 : l.length >= 2 && l[l.length - 2] == '\r' ? 2 : 1;
        int text = l.length - eol;
        int limit = limits.lineLengthLimit();
        int off = 0;
        while (text - off > limit) {
            piece(l, off, limit, true, 0);
            off += limit;
        }
        piece(l, off, text - off, false, eol);
    }

    /**
     * mime_state_update() for one record: {@code len} bytes of text at {@code off}, followed in
     * {@code l} by {@code eol} bytes of line end; {@code continues} when the line goes on.
     */
    private void piece(byte[] l, int off, int len, boolean continues, int eol) {
        if (state != State.BODY) {
            if (continueHeader(l, off, len, continues, eol)) {
                return;
            }
            // The piece that ends a header block is body text, also when an attached message's
            // header comes next (mime_state.c falls through to its body case here).
            endOfHeaders(len);
        }
        bodyPiece(l, off, len, continues, eol);
    }

    /** A piece in a header state: true when it belongs to a header (the current one or a new one). */
    private boolean continueHeader(byte[] l, int off, int len, boolean continues, int eol) {
        if (headerClass != null) {
            if (previousContinues || len > 0 && (l[off] == ' ' || l[off] == '\t')) {
                if (headerKey.size() < limits.headerSizeLimit()) { // past it, the rest is discarded, as Postfix does
                    if (!previousContinues) {
                        headerKey.write('\n');
                    }
                    headerKey.write(l, off, len);
                    headerBytes.write(l, off, len + eol);
                } else if (!cutHeaders) {
                    headerBytes.write(l, off, len + eol);
                }
                previousContinues = continues;
                return true;
            }
            flushHeader();
        }
        int name = headerNameLength(l, off, len);
        if (name > 0) {
            int colon = off + name;
            while (l[colon] != ':') {
                colon++;
            }
            headerKey.reset();
            headerKey.write(l, off, name); // "Name :" becomes "Name:", as in Postfix
            headerKey.write(l, colon, off + len - colon);
            headerBytes.reset();
            headerBytes.write(l, off, name); // written as the tables see it, "Name:", as Postfix's cleanup writes it
            headerBytes.write(l, colon, off + len + eol - colon);
            headerClass = switch (state) {
                case PRIMARY -> HeaderClass.PRIMARY;
                case MULTIPART -> HeaderClass.MIME;
                default -> HeaderClass.NESTED;
            };
            previousContinues = continues;
            return true;
        }
        return false;
    }

    /** A piece that is not a header ends the header block: an empty line, or text (then Postfix adds the empty line). */
    private void endOfHeaders(int len) {
        if (state == State.PRIMARY && !silent) {
            target.primaryHeaderEnded(resent);
        }
        if (len == 0) {
            bodyOffset = 0;
            if (kind == Kind.MESSAGE) {
                state = State.NESTED; // the attached message's own header follows
                kind = Kind.LEAF;
            } else {
                state = State.BODY;
                kind = Kind.LEAF;
            }
        } else {
            if (state == State.PRIMARY) {
                write(CRLF, 0, 2); // Postfix never lets text run on from the header into the body
            }
            state = State.BODY;
            bodyOffset = 0;
        }
    }

    private void bodyPiece(byte[] l, int off, int len, boolean continues, int eol) {
        if (!boundaries.isEmpty() && !previousContinues && len > 2 && l[off] == '-' && l[off + 1] == '-') {
            boundary(l, off, len);
        }
        previousContinues = continues;
        TableList table = inspecting ? checks.body : null;
        long at = bodyOffset;
        bodyOffset += len + 1;
        if (table == null || limits.bodySizeLimit() > 0 && at >= limits.bodySizeLimit()) {
            write(l, off, len + eol);
            return;
        }
        Text line = text(l, off, len);
        CheckActions.Outcome o = ask(table, line.s(), "body", table.parameter());
        if (o instanceof CheckActions.Replace r) {
            write(encode(r.text(), line.charset()));
            write(l, off + len, eol);
        } else if (o instanceof CheckActions.Prepend p) {
            // As Postfix's records: a line of its own, so before a piece in the middle of a long
            // line it ends up joined to the piece before it.
            write(encode(p.text(), line.charset()));
            write(CRLF, 0, 2);
            write(l, off, len + eol);
        } else if (!(o instanceof CheckActions.Drop)) {
            write(l, off, len + eol);
        }
    }

    /** A line {@code --boundary} or {@code --boundary--} of an enclosing multipart (trailing text ignored, as Postfix). */
    private void boundary(byte[] l, int off, int len) {
        for (Boundary b : boundaries) { // innermost first
            int n = b.text().length;
            if (len >= 2 + n && Arrays.equals(l, off + 2, off + 2 + n, b.text(), 0, n)) {
                while (boundaries.peek() != b) {
                    boundaries.pop();
                }
                if (len >= 4 + n && l[off + 2 + n] == '-' && l[off + 3 + n] == '-') {
                    boundaries.pop();
                    state = State.BODY;
                    kind = Kind.LEAF;
                    bodyOffset = 0;
                } else {
                    state = State.MULTIPART;
                    kind = b.partKind();
                }
                return;
            }
        }
    }

    /** The collected header: MIME state, hop count, the table of its class, then out with the action applied. */
    private void flushHeader() {
        HeaderClass c = headerClass;
        if (c == null) {
            return;
        }
        headerClass = null;
        byte[] raw = headerBytes.toByteArray();
        if (raw.length == 0 || raw[raw.length - 1] != '\n') {
            // A header cut at header_size_limit, or the last line of the content: its line still
            // ends here, so what follows can never run on into it (Postfix writes headers as records).
            raw = Arrays.copyOf(raw, raw.length + 2);
            raw[raw.length - 2] = '\r';
            raw[raw.length - 1] = '\n';
        }
        byte[] key = headerKey.toByteArray();
        if (cutHeaders && key.length > limits.headerSizeLimit()) {
            raw = HeaderCut.cut(key, (int) limits.headerSizeLimit());
        }
        Text h = text(key, 0, key.length);
        String name = h.s().substring(0, h.s().indexOf(':')).toLowerCase(Locale.ROOT);
        if (name.equals("content-type") && limits.mimeProcessing()) {
            contentType(MimeContentType.parse(h.s().substring(h.s().indexOf(':') + 1)), h);
        }
        if (c == HeaderClass.PRIMARY && name.equals("received")) {
            primaryReceived++;
        }
        boolean primary = c == HeaderClass.PRIMARY;
        if (CheckActions.MIME_HEADERS.contains(name)) {
            c = HeaderClass.MIME;
        }
        TableList table = inspecting ? checks.forHeader(c) : null;
        if (table == null) {
            if (c == HeaderClass.PRIMARY && !silent) {
                messageId(h.s());
            }
            writeHeader(primary, h.s(), raw, h.charset());
            return;
        }
        CheckActions.Outcome o = ask(table, h.s(), "header", table.parameter());
        if (c == HeaderClass.PRIMARY && !silent) {
            messageId(o instanceof CheckActions.Replace r ? r.text() : o instanceof CheckActions.Drop ? null : h.s());
        }
        if (o instanceof CheckActions.Replace r) {
            // Postfix rewrites the new text as the header it replaced (smtp_header_rewrite() keeps the
            // old header_info): only a replacement under the same name is the same kind of header.
            boolean sameName = r.text().regionMatches(true, 0, name + ":", 0, name.length() + 1);
            String rewritten = primary && sameName && !silent ? target.rewritePrimaryHeader(r.text()) : null;
            write(headerText(rewritten != null ? rewritten : r.text(), h.charset()));
        } else if (o instanceof CheckActions.Prepend p) {
            write(headerText(p.text(), h.charset()));
            writeHeader(primary, h.s(), raw, h.charset());
        } else if (!(o instanceof CheckActions.Drop)) {
            writeHeader(primary, h.s(), raw, h.charset());
        }
    }

    /** A header going out as received, unless the target rewrites a primary one ({@link CheckActions.Target#rewritePrimaryHeader}). */
    private void writeHeader(boolean primary, String text, byte[] raw, Charset charset) {
        String rewritten = primary && !silent ? target.rewritePrimaryHeader(text) : null;
        if (rewritten != null) {
            write(headerText(rewritten, charset));
        } else {
            write(raw, 0, raw.length);
        }
    }

    /** Postfix's HDR_OPT_RR headers: one of them makes the message "resent". */
    private static final java.util.Set<String> RESENT_HEADERS = java.util.Set.of("resent-bcc", "resent-cc", "resent-date",
            "resent-from", "resent-message-id", "resent-reply-to", "resent-sender", "resent-to");

    /** A primary header as it goes out: a (Resent-)Message-ID one is reported with its value. */
    private void messageId(String header) {
        if (header == null) {
            return;
        }
        int colon = header.indexOf(':');
        String name = colon < 0 ? "" : header.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        if (RESENT_HEADERS.contains(name)) {
            resent = true;
        }
        if (name.equals("message-id")) {
            target.messageIdSeen(header.substring(colon + 1).strip());
        } else if (name.equals("resent-message-id")) {
            target.resentMessageIdSeen(header.substring(colon + 1).strip());
        }
    }

    /**
     * A header a table wrote (REPLACE, PREPEND), as Postfix's cleanup_out_header() writes one: a
     * newline in it (from $1 of a folded header) starts a continuation line, indented with a tab
     * when it is not already; every line ends with CRLF, never a bare LF.
     */
    private static byte[] headerText(String text, Charset charset) {
        StringBuilder b = new StringBuilder(text.length() + 8);
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (i > 0 && !line.startsWith(" ") && !line.startsWith("\t")) {
                b.append('\t');
            }
            b.append(line).append("\r\n");
        }
        return encode(b.toString(), charset);
    }

    private void contentType(MimeContentType t, Text header) {
        switch (t.type()) {
            case "message" -> kind = t.subtype().equals("rfc822") || t.subtype().equals("global") ? Kind.MESSAGE : Kind.LEAF;
            case "multipart" -> {
                kind = Kind.MULTIPART;
                Kind part = t.subtype().equals("digest") ? Kind.MESSAGE : Kind.LEAF;
                for (String b : t.boundaries()) {
                    // mime_state: a nesting level that starts at -1 may not exceed mime_nesting_limit
                    if (boundaries.size() - 1 > limits.nestingLimit()) {
                        nesting(header.s());
                        continue;
                    }
                    byte[] bytes = encode(b, header.charset());
                    boundaries.push(new Boundary(bytes.length > limits.boundaryLimit()
                            ? Arrays.copyOf(bytes, limits.boundaryLimit()) : bytes, part));
                }
            }
            default -> kind = Kind.LEAF;
        }
    }

    /** Deeper than mime_nesting_limit: the boundary is not followed; cleanup with header tables refuses the message. */
    private void nesting(String header) {
        if (reportNesting && !nestingReported) {
            nestingReported = true;
            target.mimeNestingExceeded(header.length() > 100 ? header.substring(0, 100) : header);
        }
    }

    /**
     * maps_find() and cleanup_act(). A table that cannot answer is reported and the walk goes on,
     * as Postfix's cleanup does (a later REJECT still decides the reply).
     */
    private CheckActions.Outcome ask(TableList table, String key, String where, String mapClass) {
        Optional<TableList.Match> m;
        try {
            m = table.find(key, false);
        } catch (LookupException e) {
            target.lookupFailed(table.parameter(), e);
            return CheckActions.KEEP;
        }
        if (m.isEmpty()) {
            return CheckActions.KEEP;
        }
        CheckActions.Result r = target.matched(where, key, m.get().value(), mapClass);
        inspecting = r.inspectMore();
        if (r.outcome() instanceof CheckActions.Stop) {
            silent = true; // REJECT: nothing more is written
            return CheckActions.KEEP;
        }
        return r.outcome();
    }

    /** Text for the tables: UTF-8 when the bytes are, else ISO-8859-1 (every byte one character). */
    private static Text text(byte[] l, int off, int len) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(l, off, len)).toString();
            return new Text(s, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            return new Text(new String(l, off, len, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1);
        }
    }

    /** In the charset the matched text was read with (its bytes stay what they were), else UTF-8. */
    private static byte[] encode(String s, Charset charset) {
        return charset.newEncoder().canEncode(s) ? s.getBytes(charset) : s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * is_header_buf(): the length of the header name at {@code off}, 0 when the piece does not
     * start a header (printable ASCII name, optional blanks, then a colon).
     */
    static int headerNameLength(byte[] l, int off, int len) {
        int n = 0;
        boolean space = false;
        for (int i = off; i < off + len; i++) {
            int c = l[i] & 0xff;
            if (c == ':') {
                return n;
            } else if (c == ' ' || c == '\t') {
                if (n == 0) {
                    return 0;
                }
                space = true;
            } else if (c < 0x21 || c > 0x7e || space) {
                return 0;
            } else {
                n++;
            }
        }
        return 0;
    }

    private void write(byte[] b) {
        write(b, 0, b.length);
    }

    private void write(byte[] b, int off, int len) {
        if (!silent) {
            out.write(b, off, len);
        }
    }
}

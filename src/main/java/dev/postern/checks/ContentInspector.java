package dev.postern.checks;

import dev.postern.checks.ContentChecks.HeaderClass;
import dev.postern.maps.LookupException;
import dev.postern.maps.TableList;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
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

    private record Boundary(String text, Kind partKind) {
    }

    private final ContentChecks checks;
    private final ContentCheckSettings limits;
    private final CheckActions.Target target;
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
    /** A REJECT or a table that could not answer: nothing more is written. */
    private boolean stopped;
    private int primaryReceived;

    // The logical header being collected: its text as the tables see it, and its bytes as received.
    private final StringBuilder header = new StringBuilder();
    private final ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
    private HeaderClass headerClass;

    public ContentInspector(ContentChecks checks, CheckActions.Target target) {
        this.checks = checks;
        this.limits = checks.settings;
        this.target = target;
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
        if (stopped) {
            return;
        }
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
                if (header.length() < limits.headerSizeLimit()) { // past it, the rest is discarded, as Postfix does
                    if (!previousContinues) {
                        header.append('\n');
                    }
                    header.append(text(l, off, len));
                    headerBytes.write(l, off, len + eol);
                }
                previousContinues = continues;
                return true;
            }
            flushHeader();
            if (stopped) {
                return true;
            }
        }
        int name = CheckActions.headerNameLength(text(l, off, Math.min(len, 1000)));
        if (name > 0) {
            String t = text(l, off, len);
            int colon = t.indexOf(':');
            header.setLength(0);
            header.append(t, 0, name).append(t, colon, t.length()); // "Name :" becomes "Name:", as in Postfix
            headerBytes.reset();
            headerBytes.write(l, off, len + eol);
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
                out.write(CRLF, 0, 2); // Postfix never lets text run on from the header into the body
            }
            state = State.BODY;
            bodyOffset = 0;
        }
    }

    private void bodyPiece(byte[] l, int off, int len, boolean continues, int eol) {
        if (!boundaries.isEmpty() && !previousContinues && len > 2 && l[off] == '-' && l[off + 1] == '-') {
            boundary(text(l, off, len));
        }
        previousContinues = continues;
        TableList table = inspecting ? checks.body : null;
        long at = bodyOffset;
        bodyOffset += len + 1;
        if (table == null || limits.bodySizeLimit() > 0 && at >= limits.bodySizeLimit()) {
            out.write(l, off, len + eol);
            return;
        }
        String line = text(l, off, len);
        CheckActions.Outcome o = ask(table, line, "body", table.parameter());
        if (stopped) {
            return;
        }
        if (o instanceof CheckActions.Replace r) {
            write(r.text());
            out.write(l, off + len, eol);
        } else if (o instanceof CheckActions.Prepend p) {
            // As Postfix's records: a line of its own, so before a piece in the middle of a long
            // line it ends up joined to the piece before it.
            write(p.text());
            out.write(CRLF, 0, 2);
            out.write(l, off, len + eol);
        } else if (!(o instanceof CheckActions.Drop)) {
            out.write(l, off, len + eol);
        }
    }

    /** A line {@code --boundary} or {@code --boundary--} of an enclosing multipart (trailing text ignored, as Postfix). */
    private void boundary(String line) {
        for (Boundary b : boundaries) { // innermost first
            if (line.length() >= 2 + b.text().length() && line.startsWith(b.text(), 2)) {
                while (boundaries.peek() != b) {
                    boundaries.pop();
                }
                if (line.startsWith("--", 2 + b.text().length())) {
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
        String h = header.toString();
        String name = h.substring(0, h.indexOf(':')).toLowerCase(Locale.ROOT);
        if (name.equals("content-type") && limits.mimeProcessing()) {
            contentType(MimeContentType.parse(h.substring(h.indexOf(':') + 1)));
        }
        if (c == HeaderClass.PRIMARY && name.equals("received")) {
            primaryReceived++;
        }
        if (CheckActions.MIME_HEADERS.contains(name)) {
            c = HeaderClass.MIME;
        }
        TableList table = inspecting ? checks.forHeader(c) : null;
        if (table == null) {
            out.writeBytes(headerBytes.toByteArray());
            return;
        }
        CheckActions.Outcome o = ask(table, h, "header", table.parameter());
        if (stopped) {
            return;
        }
        if (o instanceof CheckActions.Replace r) {
            write(r.text());
            out.write(CRLF, 0, 2);
        } else if (o instanceof CheckActions.Prepend p) {
            write(p.text());
            out.write(CRLF, 0, 2);
            out.writeBytes(headerBytes.toByteArray());
        } else if (!(o instanceof CheckActions.Drop)) {
            out.writeBytes(headerBytes.toByteArray());
        }
    }

    private void contentType(MimeContentType t) {
        switch (t.type()) {
            case "message" -> kind = t.subtype().equals("rfc822") || t.subtype().equals("global") ? Kind.MESSAGE : Kind.LEAF;
            case "multipart" -> {
                kind = Kind.MULTIPART;
                Kind part = t.subtype().equals("digest") ? Kind.MESSAGE : Kind.LEAF;
                for (String b : t.boundaries()) {
                    if (boundaries.size() <= limits.nestingLimit()) {
                        String kept = b.length() > limits.boundaryLimit() ? b.substring(0, limits.boundaryLimit()) : b;
                        boundaries.push(new Boundary(kept, part));
                    }
                }
            }
            default -> kind = Kind.LEAF;
        }
    }

    /** maps_find() and cleanup_act(); a table that cannot answer refuses the message for now (451 4.3.0). */
    private CheckActions.Outcome ask(TableList table, String key, String where, String mapClass) {
        Optional<TableList.Match> m;
        try {
            m = table.find(key, false);
        } catch (LookupException e) {
            target.lookupFailed(table.parameter());
            stopped = true;
            return CheckActions.KEEP;
        }
        if (m.isEmpty()) {
            return CheckActions.KEEP;
        }
        CheckActions.Result r = CheckActions.act(target, where, key, m.get().value(), mapClass);
        inspecting = r.inspectMore();
        stopped = r.outcome() instanceof CheckActions.Stop; // REJECT: nothing more is written (CLEANUP_OUT_OK)
        return r.outcome();
    }

    /** Text for the tables: UTF-8 when the bytes are, else ISO-8859-1 (every byte one character). */
    private static String text(byte[] l, int off, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(l, off, len)).toString();
        } catch (CharacterCodingException e) {
            return new String(l, off, len, StandardCharsets.ISO_8859_1);
        }
    }

    private void write(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }
}

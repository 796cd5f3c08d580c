package dev.postern.cleanup;

import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.HeaderAddresses;
import dev.postern.rewrite.RewriteException;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The addresses in a message's primary header block, rewritten as Postfix's cleanup does for
 * mail in a rewrite context (cleanup_rewrite_sender() and cleanup_rewrite_recip()): every sender
 * header (From:, Sender:, Reply-To:, ...) and recipient header (To:, Cc:, Bcc:, ...) parsed by
 * {@link HeaderAddresses}; a header whose addresses all stay the same is kept byte for byte, a
 * changed one is rebuilt and folded as Postfix writes it. MIME part headers and attached
 * messages are never touched (Postfix rewrites primary headers only). A header that is not valid
 * UTF-8 is read one char per byte and written back the same way. {@link #drop}
 * removes message_drop_headers, as Postfix's cleanup does for all mail.
 */
final class HeaderRewrite {
    private HeaderRewrite() {}

    /** header_opts.c's HDR_OPT_MIME headers. */
    private static final java.util.Set<String> MIME_HEADERS = java.util.Set.of("content-description", "content-disposition",
            "content-id", "content-transfer-encoding", "content-type", "mime-version");

    /**
     * @param block the header block as queued: lines ending in CRLF, possibly with its empty line
     * @return the block rewritten, or {@code block} itself when no header changed
     * @throws RewriteException a table could not answer or a mapping nested too deep
     */
    static byte[] apply(byte[] block, AddressRewriting rewriting, boolean remote, boolean mappings,
                        Consumer<String> warn) throws RewriteException {
        ByteArrayOutputStream out = null;
        int start = 0;
        while (start < block.length && !isEmptyLine(block, start)) { // what follows the empty line is body
            int end = logicalEnd(block, start);
            byte[] rewritten = rewriteOne(block, start, end, rewriting, remote, mappings, warn);
            if (rewritten != null && out == null) {
                out = new ByteArrayOutputStream(block.length + 64);
                out.write(block, 0, start);
            }
            if (out != null) {
                if (rewritten != null) {
                    out.writeBytes(rewritten);
                } else {
                    out.write(block, start, end - start);
                }
            }
            start = end;
        }
        if (out != null) {
            out.write(block, start, block.length - start);
        }
        return out == null ? block : out.toByteArray();
    }

    /**
     * The block without the primary headers message_drop_headers names (Postfix's HDR_OPT_DROP:
     * by default Bcc:, Content-Length:, Resent-Bcc: and Return-Path:, compared ignoring case and
     * blanks before the colon), or {@code block} itself when none is there.
     */
    static byte[] drop(byte[] block, java.util.Set<String> names) {
        if (names.isEmpty()) {
            return block;
        }
        ByteArrayOutputStream out = null;
        int start = 0;
        while (start < block.length && !isEmptyLine(block, start)) { // what follows the empty line is body
            int end = logicalEnd(block, start);
            String name = name(block, start, end);
            // never the empty line ending the header; never a MIME header (Postfix's HDR_OPT_MIME ones
            // are handled as the MIME class, never dropped)
            boolean dropped = !name.isEmpty() && names.contains(name) && !MIME_HEADERS.contains(name);
            if (dropped && out == null) {
                out = new ByteArrayOutputStream(block.length);
                out.write(block, 0, start);
            }
            if (out != null && !dropped) {
                out.write(block, start, end - start);
            }
            start = end;
        }
        if (out != null) {
            out.write(block, start, block.length - start);
        }
        return out == null ? block : out.toByteArray();
    }

    /**
     * The block with each primary header longer than header_size_limit cut as Postfix's cleanup
     * cuts it (see {@link Tail}); {@code block} itself when none is (none can be in a block no
     * longer than the limit). What follows the end of the primary headers is left as it is.
     */
    static byte[] cutLongHeaders(byte[] block, long headerSizeLimit) {
        if (headerSizeLimit <= 0 || block.length <= headerSizeLimit) {
            return block;
        }
        Tail t = new Tail(headerSizeLimit, java.util.Set.of(), null);
        byte[] a = t.feed(block);
        byte[] b = t.finish();
        if (b.length == 0 && java.util.Arrays.equals(a, block)) {
            return block;
        }
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * The primary headers that follow a header block cut at header_size_limit, read as Postfix's
     * cleanup reads every header (mime_state_update(), cleanup_header_callback(),
     * cleanup_out_header()), as the content streams past: a header line (is_header_buf(): a name of
     * printable ASCII without blanks or colon, optional blanks, a colon) starts a header, a line
     * starting with a blank continues it; an empty line, or any other line, ends the primary
     * header section, and it and all after it pass unchanged. Each header is
     * <ul>
     * <li>dropped when message_drop_headers names it (never a MIME header), as
     * {@link #drop};</li>
     * <li>cut when longer than header_size_limit (measured as Postfix's header buffer: its lines
     * joined by one newline, "Name :" read as "Name:"): mime_state appends a continuation line only
     * while the header is shorter than the limit, and cleanup_out_header() writes its lines up to
     * the last one that ends within the limit ("nice cut"), unless that would lose more than a
     * tenth of it, then cuts at the limit itself ("unkind cut"); each line written ends with
     * CRLF;</li>
     * <li>otherwise kept byte for byte; then given to {@code rewrite} (address rewriting), if
     * any.</li>
     * </ul>
     * Received: headers are counted (Postfix's hop count, before any drop). Memory: the header being
     * read, at most about twice header_size_limit. Not thread-safe; one per message.
     */
    static final class Tail {
        private final long limit;
        private final java.util.Set<String> dropNames;
        private final java.util.function.UnaryOperator<byte[]> rewrite;
        private boolean body;
        private int received;

        /** An undecided line start: is_header_buf()'s scan so far (0 INIT, 1 IN_CHAR, 2 IN_CHAR_SPACE). */
        private boolean atLineStart = true;
        private final ByteArrayOutputStream prefix = new ByteArrayOutputStream();
        private int scan;

        /** The header being read (none before the first). */
        private boolean inHeader;
        private boolean dropped;
        /** Its bytes as they came; null once it is longer than the limit (then {@link #key} is written, cut). */
        private ByteArrayOutputStream raw;
        /** Postfix's header buffer: lines joined by '\n', without line ends; at most limit + 1 bytes kept. */
        private final ByteArrayOutputStream key = new ByteArrayOutputStream();
        /** The buffer's length as Postfix's would be. */
        private long logical;
        /** This line goes into the buffer (Postfix appends one only while the buffer is under the limit). */
        private boolean appending;
        /** A CR not yet known to end the line. */
        private boolean pendingCr;

        private ByteArrayOutputStream out;

        /**
         * @param headerSizeLimit header_size_limit, more than 0
         * @param dropNames message_drop_headers, lower case
         * @param rewrite applied to each header kept (its bytes, CRLF-terminated lines); null: none
         */
        Tail(long headerSizeLimit, java.util.Set<String> dropNames, java.util.function.UnaryOperator<byte[]> rewrite) {
            if (headerSizeLimit <= 0) {
                throw new IllegalArgumentException("header_size_limit " + headerSizeLimit);
            }
            this.limit = headerSizeLimit;
            this.dropNames = dropNames;
            this.rewrite = rewrite;
        }

        /** Still in the primary header section. */
        boolean inHeaders() {
            return !body;
        }

        /** The Received: headers read (dropped ones too). */
        int received() {
            return received;
        }

        /** The bytes to write now for {@code bytes}, the next content; {@code bytes} itself once past the headers. */
        byte[] feed(byte[] bytes) {
            if (body) {
                return bytes;
            }
            out = new ByteArrayOutputStream(Math.min(bytes.length + 64, 64 * 1024));
            for (int i = 0; i < bytes.length; i++) {
                if (body) { // the rest as it came
                    out.write(bytes, i, bytes.length - i);
                    break;
                }
                next(bytes[i]);
            }
            byte[] result = out.toByteArray();
            out = null;
            return result;
        }

        /** At the end of the content: the header still held, and an undecided last line. */
        byte[] finish() {
            if (body) {
                return new byte[0];
            }
            out = new ByteArrayOutputStream();
            if (atLineStart && prefix.size() > 0) {
                endHeaders();
            } else {
                flushHeader();
            }
            body = true;
            byte[] result = out.toByteArray();
            out = null;
            return result;
        }

        private void next(byte b) {
            if (!atLineStart) {
                headerByte(b);
                return;
            }
            prefix.write(b);
            if (prefix.size() == 1) {
                if (b == '\n') { // the empty line
                    endHeaders();
                    return;
                }
                if (b == '\r') { // CR LF is the empty line; a CR before anything else, no header
                    return;
                }
                if (b == ' ' || b == '\t') {
                    if (inHeader) {
                        continuation();
                    } else {
                        endHeaders();
                    }
                    return;
                }
            } else if (prefix.size() == 2 && prefix.toByteArray()[0] == '\r') {
                endHeaders(); // CR LF, or a line that starts with a stray CR: no header either way
                return;
            }
            // is_header_buf()
            if (b == ':' && scan != 0) {
                startHeader();
            } else if (b == ' ' || b == '\t') {
                if (scan == 1) {
                    scan = 2;
                } else if (scan != 2) {
                    endHeaders();
                }
            } else if (b < 0x21 || b > 0x7e || scan == 2 || b == ':') {
                endHeaders();
            } else if (prefix.size() > limit) { // a "name" longer than any header may be
                endHeaders();
            } else {
                scan = 1;
            }
        }

        /** The line in {@link #prefix} is no header line: the header section ends with it. */
        private void endHeaders() {
            flushHeader();
            out.write(prefix.toByteArray(), 0, prefix.size());
            prefix.reset();
            body = true;
        }

        private void continuation() {
            atLineStart = false;
            appending = logical < limit; // mime_state: a line is appended only while the buffer is under the limit
            if (appending) {
                keyByte((byte) '\n');
            } else {
                raw = null; // this line is left out: the header is written as the buffer holds it
            }
            byte[] p = prefix.toByteArray();
            prefix.reset();
            for (byte x : p) {
                headerByte(x);
            }
        }

        private void startHeader() {
            flushHeader();
            byte[] p = prefix.toByteArray();
            prefix.reset();
            int n = 0;
            while (p[n] != ' ' && p[n] != '\t' && p[n] != ':') {
                n++;
            }
            String name = new String(p, 0, n, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            if (name.equals("received")) {
                received++;
            }
            inHeader = true;
            dropped = dropNames.contains(name) && !MIME_HEADERS.contains(name);
            raw = dropped ? null : new ByteArrayOutputStream(256);
            if (raw != null) {
                raw.write(p, 0, p.length);
            }
            key.reset();
            logical = 0;
            pendingCr = false;
            appending = true;
            atLineStart = false;
            scan = 0;
            for (int i = 0; i < n; i++) { // "Name :" is "Name:" in Postfix's buffer
                keyByte(p[i]);
            }
            keyByte((byte) ':');
        }

        /** A byte of a header line after its start was decided. */
        private void headerByte(byte b) {
            if (dropped) {
                if (b == '\n') {
                    atLineStart = true;
                }
                return;
            }
            if (raw != null) {
                raw.write(b);
            }
            if (b == '\n') {
                pendingCr = false; // CR LF: the line end, not in the buffer
                atLineStart = true;
                return;
            }
            if (pendingCr) {
                pendingCr = false;
                keyByte((byte) '\r');
            }
            if (b == '\r') {
                pendingCr = true;
            } else {
                keyByte(b);
            }
        }

        private void keyByte(byte b) {
            if (!appending) {
                return;
            }
            logical++;
            if (key.size() <= limit) {
                key.write(b);
            }
            if (logical > limit) {
                raw = null;
            }
        }

        private void flushHeader() {
            if (!inHeader) {
                return;
            }
            inHeader = false;
            if (dropped) {
                return;
            }
            byte[] h = raw != null ? raw.toByteArray() : dev.postern.checks.HeaderCut.cut(key.toByteArray(), (int) Math.min(limit, Integer.MAX_VALUE - 2));
            raw = null;
            key.reset();
            if (rewrite != null) {
                h = rewrite.apply(h);
            }
            out.write(h, 0, h.length);
        }
    }


    /** A header's name in lower case without blanks before the colon; "" for a line that is no header. */
    private static String name(byte[] block, int start, int end) {
        for (int i = start; i < end && block[i] != '\r' && block[i] != '\n'; i++) {
            if (block[i] == ':') {
                int e = i;
                while (e > start && (block[e - 1] == ' ' || block[e - 1] == '\t')) {
                    e--;
                }
                return new String(block, start, e - start, StandardCharsets.ISO_8859_1).toLowerCase(java.util.Locale.ROOT);
            }
        }
        return "";
    }

    /** The end of the logical header (its last line's CRLF included) that starts at {@code start}. */
    private static int logicalEnd(byte[] b, int start) {
        int i = start;
        while (true) {
            int eol = lineEnd(b, i);
            if (eol >= b.length || (b[eol] != ' ' && b[eol] != '\t') || eol == start) {
                return eol;
            }
            if (i == start && isEmptyLine(b, start)) {
                return eol;
            }
            i = eol;
        }
    }

    /** The index after the CRLF (or LF) ending the line at {@code i}, or the block's length. */
    private static int lineEnd(byte[] b, int i) {
        for (int j = i; j < b.length; j++) {
            if (b[j] == '\n') {
                return j + 1;
            }
        }
        return b.length;
    }

    private static boolean isEmptyLine(byte[] b, int i) {
        return b[i] == '\n' || (b[i] == '\r' && i + 1 < b.length && b[i + 1] == '\n');
    }

    private static byte[] rewriteOne(byte[] block, int start, int end, AddressRewriting rewriting, boolean remote,
                                     boolean mappings, Consumer<String> warn) throws RewriteException {
        int colon = -1;
        for (int i = start; i < end && block[i] != '\r' && block[i] != '\n'; i++) {
            if (block[i] == ':') {
                colon = i;
                break;
            }
        }
        if (colon <= start) {
            return null;
        }
        HeaderAddresses.Kind kind = HeaderAddresses.kind(new String(block, start, colon - start, StandardCharsets.ISO_8859_1));
        if (kind == HeaderAddresses.Kind.NONE) {
            return null;
        }
        String header = utf8(block, start, end);
        boolean latin1 = header == null;
        if (latin1) { // 8-bit text that is no UTF-8: one char per byte (the parser only needs ASCII specials)
            header = new String(block, start, end - start, StandardCharsets.ISO_8859_1);
        }
        // folded lines joined by "\n", without the final line end: the form HeaderAddresses reads
        String logical = header.replace("\r\n", "\n");
        if (logical.endsWith("\n")) {
            logical = logical.substring(0, logical.length() - 1);
        }
        List<HeaderAddresses.AddressRewriter<RewriteException>> steps = rewriting.headerSteps(kind, remote, mappings, warn);
        String result = HeaderAddresses.rewrite(logical, HeaderAddresses.DEFAULT_TOKEN_LIMIT, steps);
        if (result == null) {
            return null;
        }
        String out = result.replace("\n", "\r\n") + "\r\n";
        return latin1 ? latin1Bytes(out) : out.getBytes(StandardCharsets.UTF_8);
    }

    /** The header's own bytes back; a char past U+00FF (from a table's UTF-8 value) as UTF-8. */
    private static byte[] latin1Bytes(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0xFF) {
                out.write(c);
            } else {
                int cp = s.codePointAt(i);
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp) - 1;
            }
        }
        return out.toByteArray();
    }

    private static String utf8(byte[] b, int start, int end) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, start, end - start)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}

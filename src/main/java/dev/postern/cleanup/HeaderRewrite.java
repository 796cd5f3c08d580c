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

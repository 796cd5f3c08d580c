package dev.postern.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The addresses in From:, To:, Cc: and the other address headers, rewritten the way Postfix does:
 * its RFC 822 tokenizer and parser (tok822), then the header rebuilt from the token tree and
 * folded. Used for canonical_maps and masquerade_domains in cleanup (cleanup_rewrite_sender() and
 * cleanup_rewrite_recip() in cleanup_message.c) and for smtp_generic_maps in the SMTP client
 * (smtp_header_rewrite() in smtp_proto.c).
 *
 * <p>A header whose addresses all stay the same is left alone (null is returned): Postfix then
 * passes it on byte for byte. Once one address changes, the whole header is rebuilt from tokens,
 * which normalizes the others too (blanks, comments moved out of {@code <...>}, quotes) exactly
 * as Postfix does; the golden cases in the tests come from Postfix 3.7.
 *
 * <p>Nothing here throws on any header text: like Postfix, unparsable text is carried along.
 * Strings are text; internally each is handled as its UTF-8 bytes, so the byte counts Postfix
 * applies (250 bytes of comments and phrase per address, 70-byte folding) are the same.
 */
public final class HeaderAddresses {
    /** Postfix's header_address_token_limit default: tokens parsed per header in cleanup. */
    public static final int DEFAULT_TOKEN_LIMIT = 10240;

    /** Which address rewriting a header gets (header_opts.c's HDR_OPT_SENDER / HDR_OPT_RECIP). */
    public enum Kind { SENDER, RECIPIENT, NONE }

    /**
     * Rewrites one address in external form ({@code "a b"@example.com}), as cleanup hands it to
     * trivial-rewrite, canonical_maps and masquerading. Returns the address itself (an equal
     * string) when it stays the same, never null.
     */
    @FunctionalInterface
    public interface AddressRewriter<E extends Exception> {
        String rewrite(String externalAddress) throws E;
    }

    /**
     * Looks one address up in internal form ({@code a b@example.com}), as the SMTP client does in
     * smtp_generic_maps; null when the table has no entry. A found entry counts as a rewrite even
     * when it maps the address to itself, as in Postfix.
     */
    @FunctionalInterface
    public interface AddressLookup<E extends Exception> {
        String find(String internalAddress) throws E;
    }

    /**
     * header_opts.c's table. Resent-Reply-To counts as a recipient header, as in Postfix; the
     * drop flag (message_drop_headers) is not this class's business.
     */
    private static final Map<String, Kind> KINDS = Map.ofEntries(
            Map.entry("apparently-to", Kind.RECIPIENT),
            Map.entry("bcc", Kind.RECIPIENT),
            Map.entry("cc", Kind.RECIPIENT),
            Map.entry("disposition-notification-to", Kind.SENDER),
            Map.entry("errors-to", Kind.SENDER),
            Map.entry("from", Kind.SENDER),
            Map.entry("mail-followup-to", Kind.SENDER),
            Map.entry("reply-to", Kind.SENDER),
            Map.entry("resent-bcc", Kind.RECIPIENT),
            Map.entry("resent-cc", Kind.RECIPIENT),
            Map.entry("resent-from", Kind.SENDER),
            Map.entry("resent-reply-to", Kind.RECIPIENT),
            Map.entry("resent-sender", Kind.SENDER),
            Map.entry("resent-to", Kind.RECIPIENT),
            Map.entry("return-path", Kind.SENDER),
            Map.entry("return-receipt-to", Kind.SENDER),
            Map.entry("sender", Kind.SENDER),
            Map.entry("to", Kind.RECIPIENT));

    private HeaderAddresses() {}

    /** The kind of a header name, case-insensitively; blanks before the colon are ignored. */
    public static Kind kind(String headerName) {
        return KINDS.getOrDefault(asciiLowerCase(trimTrailingSpace(headerName)), Kind.NONE);
    }

    /**
     * Rewrites every address of a logical header ("Name: value", folded lines joined by "\n" and
     * their original blanks, no trailing newline), as cleanup does. Returns null when the header
     * is no address header or no address changed; otherwise "Name: " and the rebuilt address
     * list, folded as cleanup writes it (lines joined by "\n", continuation lines start with a
     * blank). Parses at most {@link #DEFAULT_TOKEN_LIMIT} tokens; text after them is dropped from
     * a rewritten header, as in Postfix.
     */
    public static <E extends Exception> String rewrite(String header, AddressRewriter<E> rewriter) throws E {
        return rewrite(header, DEFAULT_TOKEN_LIMIT, List.of(rewriter));
    }

    /**
     * The same with Postfix's several rewriting steps per address (trivial-rewrite, then
     * sender_canonical_maps, canonical_maps, masquerading): each step gets the previous one's
     * result re-tokenized and externalized, and the header counts as changed when any step
     * changed an address, even if a later one changed it back. tokenLimit 0 means no limit.
     */
    public static <E extends Exception> String rewrite(String header, int tokenLimit,
            List<? extends AddressRewriter<E>> steps) throws E {
        Header h = Header.of(header);
        if (h == null) {
            return null;
        }
        Tok822 tree = Tok822Parser.parse(h.value(), tokenLimit);
        boolean changed = false;
        for (Tok822 addr : addresses(tree)) {
            for (AddressRewriter<E> step : steps) {
                String before = text(Tok822Text.externalize(addr.head));
                String after = Objects.requireNonNull(step.rewrite(before), "rewriter returned null");
                changed |= !after.equals(before);
                replaceTokens(addr, bytes(after));
            }
        }
        return changed ? output(h, tree) : null;
    }

    /**
     * Rewrites the addresses of a header for smtp_generic_maps, as Postfix's SMTP client does:
     * the whole header is parsed (no token limit), each address is looked up in internal form,
     * and the output is folded like cleanup's. Returns null when no address was found.
     */
    public static <E extends Exception> String rewriteGeneric(String header, AddressLookup<E> lookup) throws E {
        Header h = Header.of(header);
        if (h == null) {
            return null;
        }
        Tok822 tree = Tok822Parser.parse(h.value(), 0);
        boolean found = false;
        for (Tok822 addr : addresses(tree)) {
            String internal = Tok822Text.internalize(addr.head);
            String result = lookup.find(text(internal));
            if (result != null) {
                found = true;
                internal = bytes(result);
            }
            replaceTokens(addr, Tok822Text.quoteLocal(internal));
        }
        return found ? output(h, tree) : null;
    }

    /**
     * The addresses of an address list, such as a table's result ("a@b, Joe &lt;c@d&gt;"), in
     * internal form (unquoted), as mail_addr_crunch_opt() makes them from external text; an
     * empty text or "&lt;&gt;" is the one null address "". Postfix also canonicalizes each address
     * (trivial-rewrite) between parsing and unquoting; that is the caller's part.
     */
    public static List<String> parseList(String text) {
        List<String> external = parseListExternal(text);
        List<String> internal = new ArrayList<>(external.size());
        for (String address : external) {
            internal.add(unquoteLocal(address));
        }
        return internal;
    }

    /** Like {@link #parseList}, but each address in external form (quoted where needed). */
    public static List<String> parseListExternal(String text) {
        String t = text.isEmpty() || text.equals("<>") ? "\"\"" : text;
        List<String> out = new ArrayList<>();
        for (Tok822 addr : addresses(Tok822Parser.parse(bytes(t), 0))) {
            out.add(text(Tok822Text.externalize(addr.head)));
        }
        return out;
    }

    /** quote_822_local(): internal to external form ({@code a b@x} → {@code "a b"@x}). */
    public static String quoteLocal(String internalAddress) {
        return text(Tok822Text.quoteLocal(bytes(internalAddress)));
    }

    /** unquote_822_local(): external to internal form ({@code "a b"@x} → {@code a b@x}). */
    public static String unquoteLocal(String externalAddress) {
        return text(Tok822Text.unquoteLocal(bytes(externalAddress)));
    }

    /** tok822_grep(tree, TOK822_ADDR): the top-level address nodes. */
    private static List<Tok822> addresses(Tok822 tree) {
        List<Tok822> out = new ArrayList<>();
        for (Tok822 tp = tree; tp != null; tp = tp.next) {
            if (tp.type == Tok822.ADDR) {
                out.add(tp);
            }
        }
        return out;
    }

    /** Postfix re-scans every rewritten address, changed or not; the new tokens have no owner. */
    private static void replaceTokens(Tok822 addr, String external) {
        addr.head = Tok822Parser.scan(external, 0);
        addr.tail = Tok822Parser.last(addr.head);
    }

    private static String output(Header h, Tok822 tree) {
        StringBuilder out = new StringBuilder(h.name()).append(": ");
        Tok822Text.externalize(out, tree, Tok822Text.HEAD);
        return text(Tok822Fold.fold(out.toString()));
    }

    /**
     * An address header split into the name as written and the value after the colon. Blanks
     * between name and colon are dropped, as Postfix's MIME processor does to every header
     * ("name space colon" normalized in mime_state.c) before cleanup sees it.
     */
    private record Header(String name, String value) {
        static Header of(String header) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                return null;
            }
            String name = trimTrailingSpace(header.substring(0, colon));
            if (kind(name) == Kind.NONE) {
                return null;
            }
            return new Header(bytes(name), bytes(header.substring(colon + 1)));
        }
    }

    private static String trimTrailingSpace(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end);
    }

    /** ISSPACE(): ASCII blanks, line breaks, vertical tab and form feed. */
    private static boolean isSpace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    private static String asciiLowerCase(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return out.toString();
    }

    /** Text to its UTF-8 bytes, one char per byte, the form the tokenizer works on. */
    private static String bytes(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    /** Back from one char per byte to text. */
    private static String text(String b) {
        return new String(b.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }
}

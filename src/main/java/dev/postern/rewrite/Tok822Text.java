package dev.postern.rewrite;

/**
 * Token trees back to text, as Postfix's tok822_internalize() and tok822_externalize()
 * (global/tok822_parse.c), and the local-part quoting of global/quote_822_local.c.
 *
 * <p>Internal form is what Postfix queues and looks up (quotes removed: {@code a b@example}),
 * external form is what goes into a header ({@code "a b"@example}). All text is one char per byte.
 */
final class Tok822Text {
    /** Only the flags that matter to the callers here; TERM and WIPE have no Java meaning. */
    static final int NONE = 0;
    /** A newline after every comma, for folding later. */
    static final int LINE = 1;
    /** Sendmail overflow guard: too much non-address text around an address is dropped. */
    static final int TRUNCATE = 2;
    /** TOK822_STR_HEAD: the form cleanup and smtp put after "Name: ". */
    static final int HEAD = LINE | TRUNCATE;

    /** Postfix strips comments and phrases when an address expression has more bytes of them. */
    private static final int MAX_NONADDR_LENGTH = 250;

    private Tok822Text() {}

    /** tok822_internalize: concatenated token values, without quotes. */
    static String internalize(Tok822 tree) {
        StringBuilder out = new StringBuilder();
        internalize(out, tree, NONE);
        return out.toString();
    }

    private static void internalize(StringBuilder out, Tok822 tree, int flags) {
        for (Tok822 tp = tree; tp != null; tp = tp.next) {
            switch (tp.type) {
                case ',' -> {
                    out.append(',');
                    if ((flags & LINE) != 0) {
                        out.append('\n');
                        continue;
                    }
                }
                case Tok822.ADDR -> internalize(out, tp.head, NONE);
                case Tok822.COMMENT, Tok822.ATOM, Tok822.QSTRING -> out.append(tp.text);
                case Tok822.DOMLIT -> out.append('[').append(tp.text).append(']');
                case Tok822.STARTGRP -> out.append(':');
                default -> out.append((char) tp.type);
            }
            if (appendSpace(tp)) {
                out.append(' ');
            }
        }
    }

    /** tok822_externalize with TOK822_STR_DEFL: one address (or token list) in external form. */
    static String externalize(Tok822 tree) {
        StringBuilder out = new StringBuilder();
        externalize(out, tree, NONE);
        return out.toString();
    }

    /**
     * tok822_externalize: appends the external form of the list to out. With {@link #TRUNCATE},
     * an address expression (the text between commas) carrying more than 250 bytes besides its
     * address is reduced to {@code <address>}, as Postfix does against a Sendmail overflow.
     */
    static void externalize(StringBuilder out, Tok822 tree, int flags) {
        boolean truncate = (flags & TRUNCATE) != 0;
        int start = out.length();
        Tok822 addr = null;
        int addrLength = 0;
        for (Tok822 tp = tree; tp != null; tp = tp.next) {
            switch (tp.type) {
                case ',' -> {
                    if (truncate) {
                        enforceNonAddressLength(out, start, addr, addrLength);
                    }
                    out.append(',').append((flags & LINE) != 0 ? '\n' : ' ');
                    start = out.length();
                    addr = null;
                    addrLength = 0;
                    continue;
                }
                case Tok822.ADDR -> {
                    addr = tp;
                    int before = out.length();
                    quoteLocal(out, internalize(tp.head));
                    addrLength = out.length() - before;
                }
                case Tok822.ATOM, Tok822.COMMENT -> out.append(tp.text);
                case Tok822.QSTRING -> {
                    out.append('"');
                    copyQuoted(out, tp.text, "\"\\\r\n");
                    out.append('"');
                }
                case Tok822.DOMLIT -> {
                    out.append('[');
                    copyQuoted(out, tp.text, "\\\r\n");
                    out.append(']');
                }
                case Tok822.STARTGRP -> out.append(':');
                case '<' -> {
                    if (tp.next != null && tp.next.type == '>') {
                        addr = tp; // the null address <>
                        addrLength = 0;
                    }
                    out.append('<');
                }
                default -> out.append((char) tp.type);
            }
            if (appendSpace(tp)) {
                out.append(' ');
            }
        }
        if (truncate) {
            enforceNonAddressLength(out, start, addr, addrLength);
        }
    }

    /** ENFORCE_NONADDR_LENGTH and strip_address(): keep only {@code <address>}. */
    private static void enforceNonAddressLength(StringBuilder out, int start, Tok822 addr, int addrLength) {
        if (addr != null && out.length() - addrLength > start + MAX_NONADDR_LENGTH) {
            out.setLength(start);
            out.append('<');
            if (addr.head != null) {
                quoteLocal(out, internalize(addr.head));
            }
            out.append('>');
        }
    }

    private static void copyQuoted(StringBuilder out, CharSequence text, String quoteSet) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoteSet.indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
    }

    /**
     * tok822_append_space: a blank after a comma or group start, before {@code <}, and between two
     * words, but never inside an address that the parser built (its tokens have an owner).
     */
    private static boolean appendSpace(Tok822 tp) {
        Tok822 next = tp.next;
        if (next == null || tp.owner != null) {
            return false;
        }
        if (tp.type == ',' || tp.type == Tok822.STARTGRP || next.type == '<') {
            return true;
        }
        return tp.isWord() && next.isWord();
    }

    /** quote_822_local(): the address with its local part quoted when it is not a dot-string. */
    static String quoteLocal(String mailbox) {
        StringBuilder out = new StringBuilder(mailbox.length() + 2);
        quoteLocal(out, mailbox);
        return out.toString();
    }

    /**
     * quote_822_local_flags(QUOTE_FLAG_8BITCLEAN | QUOTE_FLAG_APPEND): a source route
     * ({@code @a,@b:}) is skipped, the local part ends at the last {@code @}, 8-bit bytes are text.
     */
    static void quoteLocal(StringBuilder out, String mailbox) {
        int colon;
        int start = mailbox.startsWith("@") && (colon = mailbox.indexOf(':')) >= 0 ? colon + 1 : 0;
        int at = mailbox.lastIndexOf('@');
        int end = at >= start ? at : mailbox.length();
        if (isDotString(mailbox, start, end)) {
            out.append(mailbox);
            return;
        }
        out.append(mailbox, 0, start).append('"');
        for (int i = start; i < end; i++) {
            char c = mailbox.charAt(i);
            if (c == '"' || c == '\\' || c == '\r') {
                out.append('\\');
            }
            out.append(c);
        }
        out.append('"').append(mailbox, end, mailbox.length());
    }

    private static boolean isDotString(String s, int start, int end) {
        if (start == end || s.charAt(start) == '.') {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c == '.' && i + 1 < end && s.charAt(i + 1) == '.') {
                return false;
            }
            if (c == ' ' || Tok822Parser.isControl(c) || "()<>@,;:\\\"[]".indexOf(c) >= 0) {
                return false;
            }
        }
        return s.charAt(end - 1) != '.';
    }

    /**
     * unquote_822_local(): quotes and backslashes removed from the local part; a source route and
     * the text after the last unquoted {@code @} are kept as they are.
     */
    static String unquoteLocal(String mailbox) {
        StringBuilder out = new StringBuilder(mailbox.length());
        int colon;
        int start = 0;
        if (mailbox.startsWith("@") && (colon = mailbox.indexOf(':')) >= 0) {
            start = colon + 1;
            out.append(mailbox, 0, start);
        }
        boolean inQuote = false;
        int bareAtOut = -1;
        int bareAtIn = -1;
        for (int i = start; i < mailbox.length(); i++) {
            char c = mailbox.charAt(i);
            if (c == '"') {
                inQuote = !inQuote;
                continue;
            } else if (c == '@') {
                if (!inQuote) {
                    bareAtOut = out.length();
                    bareAtIn = i;
                }
            } else if (c == '\\') {
                if (i + 1 == mailbox.length()) {
                    continue;
                }
                c = mailbox.charAt(++i);
            }
            out.append(c);
        }
        if (bareAtOut >= 0) {
            out.setLength(bareAtOut);
            out.append(mailbox, bareAtIn, mailbox.length());
        }
        return out.toString();
    }
}

package dev.postern.rewrite;

import java.nio.charset.StandardCharsets;

/**
 * trivial-rewrite's rewrite_tree() on one address in external form, on its tok822 tokens, as cleanup applies it (the
 * "local" context: {@code @$myorigin} for an address without a domain; the "remote" context:
 * {@code @$remote_header_rewrite_domain}). A source route ({@code @a,@b:user@c}) is dropped, a
 * lone {@code @} becomes the empty address, a trailing dot after the domain is removed.
 * append_dot_mydomain, swap_bangpath and allow_percent_hack are not implemented (Postern's
 * envelope refuses {@code !} and {@code %} addresses).
 */
final class LocalRewrite {
    private LocalRewrite() {}

    /**
     * @param address one address in external form (as tok822 externalizes it)
     * @param origin the domain to append to an address without one; empty: none is appended
     */
    static String canonicalize(String address, String origin) {
        String b = bytes(address);
        Tok822 tree = new Tok822(Tok822.ADDR);
        tree.head = Tok822Parser.scan(b, 0);
        tree.tail = Tok822Parser.last(tree.head);
        if (b.isEmpty() || tree.head == null) {
            return address;
        }
        if (tree.head == tree.tail && tree.tail.type == Tok822.QSTRING && tree.tail.text.length() == 0) {
            return text(Tok822Text.externalize(tree));
        }
        if (tree.head == tree.tail && tree.tail.type == '@') { // a lone "@" is the null address
            tree.head = null;
            tree.tail = null;
            tree.subAppend(new Tok822(Tok822.QSTRING, ""));
            return text(Tok822Text.externalize(tree));
        }
        Tok822 colon = find(tree.head, ':');
        if (tree.head.type == '@' && colon != null && colon != tree.tail) { // a source route
            tree.head = colon.next;
            tree.head.prev = null;
            colon.next = null;
        }
        if (rfind(tree.tail, '@') == null && !origin.isEmpty()) {
            tree.subAppend(new Tok822('@'));
            tree.subAppend(Tok822Parser.scan(bytes(origin), 0));
        }
        Tok822 t = tree.tail;
        if (t.type == '.' && t.prev != null && t.prev.type != '.' && t.prev.type != '@') { // "user@domain."
            tree.tail = t.cutBefore();
            if (tree.tail == null) {
                tree.head = null;
            }
        }
        return text(Tok822Text.externalize(tree));
    }

    private static Tok822 find(Tok822 t, int type) {
        while (t != null && t.type != type) {
            t = t.next;
        }
        return t;
    }

    private static Tok822 rfind(Tok822 t, int type) {
        while (t != null && t.type != type) {
            t = t.prev;
        }
        return t;
    }

    /** One char per UTF-8 byte, the form the tok822 classes work on. */
    private static String bytes(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static String text(String b) {
        return new String(b.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** The last '@' outside a quoted string, or -1. */
    static int lastAt(String a) {
        int at = -1;
        boolean quoted = false;
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '@' && !quoted) {
                at = i;
            }
        }
        return at;
    }
}

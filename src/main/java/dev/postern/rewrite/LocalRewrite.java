package dev.postern.rewrite;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * trivial-rewrite's rewrite_tree() (trivial-rewrite/rewrite.c) on one address in external form,
 * on its tok822 tokens, in one rewrite context ({@link Context}): cleanup's "local" context
 * ({@code @$myorigin}, {@code .$mydomain}) for envelope addresses, table results and the headers
 * of local clients, the "remote" context ({@code @$remote_header_rewrite_domain} and
 * {@code .$remote_header_rewrite_domain}) for other clients' headers. In rewrite_tree()'s order:
 * the empty address is kept; a lone {@code @} becomes the empty address; a source route
 * ({@code @a,@b:user@c}) is dropped; then, only for an address without {@code @}: the first
 * {@code !} swaps {@code host!user} to {@code user@host} (swap_bangpath; {@code a!b!c} becomes
 * {@code b!c@a}), else the last {@code %} becomes {@code @} (allow_percent_hack), else
 * {@code @origin} is appended (append_at_myorigin); then {@code .domain} is appended to a domain
 * without a dot or a domain literal (append_dot_mydomain; not to {@code user@}); last, one
 * trailing dot after the domain is removed. A quoted local part is one token: its {@code !} and
 * {@code %} are text.
 */
final class LocalRewrite {
    private LocalRewrite() {}

    /**
     * One rewrite context (Postfix's RWR_CONTEXT and the switches of main.cf).
     * @param origin what an address without a domain gets (local: $myorigin); empty: nothing
     * @param domain what a domain without a dot gets (local: $mydomain); empty: nothing
     * @param compat where Postfix's compatibility notice for append_dot_mydomain goes; null: none
     */
    record Context(String origin, String domain, boolean swapBangpath, boolean percentHack, boolean appendAtOrigin,
                   boolean appendDotDomain, CompatNotice compat) {
        /** Only @origin (the three switches off): what Postern did before they existed. */
        static Context originOnly(String origin) {
            return new Context(origin, "", false, false, true, false, null);
        }
    }

    /**
     * Postfix's warn_compat_break_app_dot_mydomain: compatibility_level below 1 and
     * append_dot_mydomain not set, so its old default ("yes") applies; each use is logged.
     * @param mydomain $mydomain (what the notice names, even in the remote context, as Postfix)
     * @param localhostHasClass "localhost" is in mydestination or another address class
     * @param info where the notice goes (trivial-rewrite's info line)
     */
    record CompatNotice(String mydomain, boolean localhostHasClass, Consumer<String> info) {
    }

    /**
     * @param address one address in external form (as tok822 externalizes it)
     * @param origin the domain to append to an address without one; empty: none is appended
     */
    static String canonicalize(String address, String origin) {
        return rewrite(address, Context.originOnly(origin));
    }

    /** rewrite_tree() in context {@code c}; {@code address} in external form, the result too. */
    static String rewrite(String address, Context c) {
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
        if (rfind(tree.tail, '@') == null) {
            Tok822 bang;
            Tok822 percent;
            if (c.swapBangpath() && (bang = find(tree.head, '!')) != null) { // domain!user to user@domain
                Tok822 local = bang.next;
                keepBefore(tree, bang);
                if (local != null) {
                    local.prev = null;
                }
                subPrepend(tree, new Tok822('@'));
                if (local != null) {
                    subPrepend(tree, local);
                }
            } else if (c.percentHack() && (percent = rfind(tree.tail, '%')) != null) { // user%domain to user@domain
                percent.type = '@';
            } else if (c.appendAtOrigin() && !c.origin().isEmpty()) {
                tree.subAppend(new Tok822('@'));
                tree.subAppend(Tok822Parser.scan(bytes(c.origin()), 0));
            }
        }
        Tok822 domain;
        if (c.appendDotDomain() && !c.domain().isEmpty()
                && (domain = rfind(tree.tail, '@')) != null && domain != tree.tail
                && find(domain, Tok822.DOMLIT) == null && find(domain, '.') == null) {
            if (c.compat() != null && domain.next.text != null) {
                notice(c.compat(), text(domain.next.text.toString()));
            }
            tree.subAppend(new Tok822('.'));
            tree.subAppend(Tok822Parser.scan(bytes(c.domain()), 0));
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

    /** rewrite.c's msg_info() for the old append_dot_mydomain default; none for a classified "localhost". */
    private static void notice(CompatNotice n, String name) {
        String text = "using backwards-compatible default setting append_dot_mydomain=yes to rewrite \"" + name
                + "\" to \"" + name + "." + n.mydomain() + "\"";
        if (!name.equalsIgnoreCase("localhost")) {
            n.info().accept(text);
        } else if (!n.localhostHasClass()) {
            n.info().accept(text + "; please add \"localhost\" to mydestination or other address class");
        }
    }

    /**
     * The envelope form: Postfix's cleanup_rewrite_internal() quotes the local part
     * (quote_822_local), rewrites, and unquotes the result.
     */
    static String rewriteInternal(String address, Context c) {
        return HeaderAddresses.unquoteLocal(rewrite(HeaderAddresses.quoteLocal(address), c));
    }

    /** tok822_sub_keep_before: the tree keeps the tokens before {@code t}; t and what follows are cut off. */
    private static void keepBefore(Tok822 tree, Tok822 t) {
        Tok822 before = t.prev;
        tree.tail = before;
        if (before == null) {
            tree.head = null;
        } else {
            before.next = null;
        }
        t.prev = null;
        t.next = null;
    }

    /** tok822_sub_prepend: list t2 before the container's first child. */
    private static void subPrepend(Tok822 tree, Tok822 t2) {
        if (tree.head != null) {
            tree.head.prepend(t2);
            tree.head = t2;
        } else {
            tree.subAppend(t2);
        }
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

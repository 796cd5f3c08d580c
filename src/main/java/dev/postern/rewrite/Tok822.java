package dev.postern.rewrite;

/**
 * One node of Postfix's RFC 822 token tree (global/tok822.h, tok822_node.c, tok822_tree.c): a
 * token in a doubly linked list, and for an address ({@link #ADDR}) the list of its own tokens.
 *
 * <p>The parser works on this mutable linked structure rather than on immutable lists because its
 * right-to-left regrouping (comments moved aside, commas inserted, tokens clustered under a new
 * node) is defined in terms of these list operations; porting them one for one is what keeps the
 * output byte-identical to Postfix's. The {@link #owner} link matters for output too: Postfix puts
 * no blank between two words of one parsed address, but does between words of a list that was
 * re-scanned after rewriting (those tokens have no owner).
 *
 * <p>Text is held one char per byte (ISO-8859-1 view of the UTF-8 bytes), as Postfix sees it.
 */
final class Tok822 {
    /** Operators are their own character, 1..255; multi-character tokens start here. */
    static final int ATOM = 256;
    static final int QSTRING = 257;
    /** A comment, stored with its parentheses and escapes exactly as written. */
    static final int COMMENT = 258;
    static final int DOMLIT = 259;
    /** An address: a container whose children are the address tokens. */
    static final int ADDR = 260;
    /** The ':' that starts a named group ("undisclosed-recipients:;"). */
    static final int STARTGRP = 261;
    /** The parser's sentinel tokens at both ends of the list. */
    static final int SENTINEL = 0;

    int type;
    /** Token text for atoms, quoted strings, comments and domain literals; null otherwise. */
    final StringBuilder text;
    Tok822 prev;
    Tok822 next;
    Tok822 head;
    Tok822 tail;
    Tok822 owner;

    Tok822(int type) {
        this(type, "");
    }

    Tok822(int type, String value) {
        this.type = type;
        this.text = type < ATOM || type == ADDR || type == STARTGRP ? null : new StringBuilder(value);
    }

    /** tok822_append: inserts list t2 after this token; returns the end of the inserted list. */
    Tok822 append(Tok822 t2) {
        Tok822 after = next;
        next = t2;
        t2.prev = this;
        t2.owner = owner;
        while (t2.next != null) {
            t2 = t2.next;
            t2.owner = owner;
        }
        t2.next = after;
        if (after != null) {
            after.prev = t2;
        }
        return t2;
    }

    /** tok822_prepend: inserts list t2 before this token; returns the end of the inserted list. */
    Tok822 prepend(Tok822 t2) {
        Tok822 before = prev;
        if (before != null) {
            before.next = t2;
        }
        t2.prev = before;
        t2.owner = owner;
        while (t2.next != null) {
            t2 = t2.next;
            t2.owner = owner;
        }
        t2.next = this;
        prev = t2;
        return t2;
    }

    /** tok822_cut_before: splits the list before this token; returns the old predecessor. */
    Tok822 cutBefore() {
        Tok822 before = prev;
        if (before != null) {
            before.next = null;
            prev = null;
        }
        return before;
    }

    /** tok822_unlink: takes this token out of its list; returns the old predecessor. */
    Tok822 unlink() {
        Tok822 before = prev;
        Tok822 after = next;
        if (before != null) {
            before.next = after;
        }
        if (after != null) {
            after.prev = before;
        }
        prev = null;
        next = null;
        return before;
    }

    /** tok822_sub_append: appends list t2 to this container's children. */
    Tok822 subAppend(Tok822 t2) {
        if (head != null) {
            tail = tail.append(t2);
            return tail;
        }
        head = t2;
        t2.owner = this;
        while (t2.next != null) {
            t2 = t2.next;
            t2.owner = this;
        }
        tail = t2;
        return t2;
    }

    /** True for the tokens that are words rather than operators (tok822_append_space's NON_OPERATOR). */
    boolean isWord() {
        return type == ATOM || type == QSTRING || type == COMMENT || type == DOMLIT || type == ADDR;
    }
}

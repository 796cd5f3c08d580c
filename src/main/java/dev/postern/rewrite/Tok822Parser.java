package dev.postern.rewrite;

/**
 * Postfix's tok822_scan_limit() and tok822_parse_limit() (global/tok822_parse.c): text to tokens,
 * and tokens to a tree whose {@link Tok822#ADDR} nodes are the addresses of an address list.
 *
 * <p>Like Postfix it never fails: whatever it does not understand stays in the list as it was, a
 * missing comma between two addresses is inserted, and unterminated quotes, comments and domain
 * literals simply end at the end of the text. Input is one char per byte; a NUL ends it, as it
 * ends Postfix's C string.
 */
final class Tok822Parser {
    /** The operators: RFC 822 specials plus the %, ! and | that Postfix also treats as operators. */
    private static final String OPERATORS = "|%!()<>@,;:\\\".[]";
    private static final int DO_WORD = 1;
    private static final int DO_GROUP = 2;
    private static final int ADD_COMMA = ',';
    private static final int NO_MISSING_COMMA = 0;

    private final String text;
    private int pos;

    private Tok822Parser(String text) {
        int nul = text.indexOf('\0');
        this.text = nul < 0 ? text : text.substring(0, nul);
    }

    /** tok822_scan_limit: the flat token list, or null when the text has no tokens; limit 0 = none. */
    static Tok822 scan(String text, int tokenLimit) {
        return new Tok822Parser(text).scanList(tokenLimit);
    }

    /** The last token of a list that starts at first (null for null). */
    static Tok822 last(Tok822 first) {
        Tok822 t = first;
        while (t != null && t.next != null) {
            t = t.next;
        }
        return t;
    }

    private int at(int i) {
        return i < text.length() ? text.charAt(i) : 0;
    }

    static boolean isSpaceTabCrLf(int c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    static boolean isOperator(int c) {
        return c != 0 && OPERATORS.indexOf(c) >= 0;
    }

    private Tok822 scanList(int tokenLimit) {
        Tok822 head = null;
        Tok822 tail = null;
        int count = 0;
        int ch;
        while ((ch = at(pos++)) != 0) {
            if (isSpaceTabCrLf(ch)) {
                continue;
            }
            Tok822 tp;
            if (ch == '(') {
                tp = new Tok822(Tok822.COMMENT);
                comment(tp);
            } else if (ch == '[') {
                tp = new Tok822(Tok822.DOMLIT);
                collect(tp, ']');
                skipLast();
            } else if (ch == '"') {
                tp = new Tok822(Tok822.QSTRING);
                collect(tp, '"');
                skipLast();
            } else if (ch != '\\' && isOperator(ch)) {
                tp = new Tok822(ch);
            } else {
                tp = new Tok822(Tok822.ATOM);
                pos -= 1; // a backslash may start an atom
                collect(tp, -1);
                quoteAtom(tp);
            }
            if (head == null) {
                head = tp;
                tail = tp;
            } else {
                tail = tail.append(tp);
            }
            if (tokenLimit > 0 && ++count >= tokenLimit) {
                break;
            }
        }
        return head;
    }

    /**
     * The COLLECT macro: copies text up to the terminator (-1: up to blank or operator), dropping
     * the backslash of a quoted pair and turning blanks, CR and LF into one space each.
     */
    private void collect(Tok822 tp, int terminator) {
        int c;
        while ((c = at(pos)) != 0) {
            if (c == '\\') {
                if ((c = at(++pos)) == 0) {
                    break;
                }
            } else if (terminator < 0 ? isSpaceTabCrLf(c) || isOperator(c) : c == terminator) {
                break;
            }
            tp.text.append(isSpaceTabCrLf(c) ? ' ' : (char) c);
            pos++;
        }
    }

    private void skipLast() {
        if (at(pos) != 0) {
            pos++;
        }
    }

    /** An atom holding a blank, control or operator character (escaped) is output quoted. */
    private static void quoteAtom(Tok822 tp) {
        for (int i = 0; i < tp.text.length(); i++) {
            char c = tp.text.charAt(i);
            if (c == ' ' || isControl(c) || isOperator(c)) {
                tp.type = Tok822.QSTRING;
                return;
            }
        }
    }

    /** ISCNTRL(): ASCII controls only; 8-bit bytes are text. */
    static boolean isControl(int c) {
        return c < 32 || c == 127;
    }

    /**
     * tok822_comment: comments nest and are kept in external form, parentheses, backslashes and
     * line breaks included, so they come out exactly as they went in.
     */
    private void comment(Tok822 tp) {
        int level = 1;
        int ch;
        tp.text.append('(');
        while ((ch = at(pos)) != 0) {
            tp.text.append((char) ch);
            pos++;
            if (ch == '(') {
                level++;
            } else if (ch == ')') {
                if (--level == 0) {
                    break;
                }
            } else if (ch == '\\') {
                if ((ch = at(pos)) == 0) {
                    break;
                }
                tp.text.append((char) ch);
                pos++;
            }
        }
    }

    /**
     * tok822_parse_limit: the tree of an address list. Worked from right to left between two
     * sentinels, as Postfix does: comments move to the right of what they were in, a word that
     * follows another word without a comma starts a new address (the comma is added), a
     * {@code <...>} is one address, and {@code name: ... ;} is a group.
     */
    static Tok822 parse(String text, int tokenLimit) {
        Tok822 first = scan(text, tokenLimit);
        if (first == null) {
            return null;
        }
        Tok822 head = new Tok822(Tok822.SENTINEL);
        glue(head, first);
        Tok822 tail = new Tok822(Tok822.SENTINEL);
        glue(last(first), tail);

        int state = DO_WORD;
        Tok822 right = tail;
        Tok822 tp = tail.prev;
        while (tp.type != Tok822.SENTINEL) {
            if (tp.type == Tok822.COMMENT) {
                Tok822 before = tp.unlink();
                right = right.prepend(tp);
                tp = before;
                continue;
            } else if (tp.type == ';') {
                right = group(tp, right, ADD_COMMA);
                state = DO_GROUP | DO_WORD;
            } else if (tp.type == ':' && (state & DO_GROUP) != 0) {
                tp.type = Tok822.STARTGRP;
                group(tp, right, NO_MISSING_COMMA);
                while (tp.type != Tok822.SENTINEL && tp.type != ',') {
                    tp = tp.prev;
                }
                right = tp;
                continue;
            } else if (tp.type == '>') {
                right = group(tp, right, ADD_COMMA);
                while (tp.type != Tok822.SENTINEL && tp.type != '<') {
                    if (tp.type == Tok822.COMMENT) {
                        Tok822 before = tp.unlink();
                        right = right.prepend(tp);
                        tp = before;
                        continue;
                    }
                    tp = tp.prev;
                }
                group(tp, right, NO_MISSING_COMMA);
                while (tp.type != Tok822.SENTINEL && (tp.type > 0xff || ">;,:".indexOf(tp.type) < 0)) {
                    tp = tp.prev;
                }
                right = tp;
                state |= DO_WORD;
                continue;
            } else if (tp.type == Tok822.ATOM || tp.type == Tok822.QSTRING || tp.type == Tok822.DOMLIT) {
                if ((state & DO_WORD) == 0) {
                    right = group(tp, right, ADD_COMMA).next;
                }
                state &= ~DO_WORD;
            } else if (tp.type == ',') {
                right = group(tp, right, NO_MISSING_COMMA);
                state |= DO_WORD;
            } else {
                state |= DO_WORD;
            }
            tp = tp.prev;
        }
        group(tp, right, NO_MISSING_COMMA);

        Tok822 result = head.next != tail ? head.next : null;
        head.next.cutBefore();
        tail.cutBefore();
        return result;
    }

    private static void glue(Tok822 left, Tok822 right) {
        left.next = right;
        right.prev = left;
    }

    /**
     * tok822_group: puts the tokens strictly between left and right under a new ADDR node, and
     * optionally a comma (resynchronisation) right after left. Returns left.
     */
    private static Tok822 group(Tok822 left, Tok822 right, int syncType) {
        Tok822 first;
        if (left != right && (first = left.next) != right) {
            right.cutBefore();
            first.cutBefore();
            Tok822 group = new Tok822(Tok822.ADDR);
            group.subAppend(first);
            left.append(group);
            // tok822_append(group, right) would also give every token from right to the end of
            // the list left's owner; at the top level, where the parser works, they all have none
            // already, so linking alone keeps the parse linear instead of quadratic.
            group.next = right;
            right.prev = group;
            if (syncType != NO_MISSING_COMMA) {
                left.append(new Tok822(syncType));
            }
        }
        return left;
    }
}

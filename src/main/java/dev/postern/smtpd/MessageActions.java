package dev.postern.smtpd;

import dev.postern.cleanup.CleanupTransaction;
import dev.postern.mail.MailAddress;
import io.netty.buffer.Unpooled;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The access(5) actions that act on the whole message, not on the request that triggered them:
 * HOLD, DISCARD, REDIRECT, BCC, FILTER and PREPEND (Postfix smtpd's {@code saved_flags},
 * {@code saved_redirect}, {@code saved_bcc}, {@code saved_filter} and {@code prepend}, which smtpd_check.c's
 * check_table_result() sets and smtpd.c hands to cleanup). They accumulate over one mail
 * transaction, whatever the stage or table that fired them and whether the request was then
 * accepted, and are handed to cleanup at DATA ({@link #applyTo}); RSET, a new MAIL, HELO/EHLO and
 * the end of a message forget them (smtpd.c mail_reset()). A session holds none until an access
 * table takes an action: a message that hits none costs nothing here.
 */
final class MessageActions {
    /**
     * What restrictions reach through {@link RestrictionList.State} while they check a request of a
     * mail transaction: the transaction's actions, and Postfix's log_whatsup() with the session's
     * queue ID, command, client, sender, recipient, protocol and HELO name.
     */
    interface Transaction {
        /** The transaction's actions, created at the first. */
        MessageActions actions();

        /** smtpd.c state->discard: a DISCARD fired, nothing more is checked in this transaction. */
        boolean discarding();

        /**
         * log_whatsup(): {@code QUEUEID|NOQUEUE: action: WHERE from host[addr]: text; from=<s> to=<r> proto=P helo=<h>};
         * {@code recipient} is the recipient being checked (null at DATA, where the session names the
         * only recipient if there is one).
         */
        void whatsup(String action, String text, String recipient);

        /** A warning in the mail log (Postfix's msg_warn()). */
        void warning(String text);
    }

    boolean hold;
    boolean discard;
    /** The last REDIRECT's address ("only the last one takes effect"). */
    MailAddress redirect;
    /** The last FILTER's {@code transport:destination} ("only the last one is executed"); null: none. */
    String filter;
    /** Every BCC's address, in the order they fired (duplicates are dropped by cleanup). */
    final List<MailAddress> bcc = new ArrayList<>(1);
    /** PREPEND's header lines, in the order they fired, without line ends. */
    final List<String> prepend = new ArrayList<>(1);

    /**
     * Hands the actions to the message (before any content): hold or discard, the redirect, the
     * BCC recipients, the filter (after smtpd's content_filter, which it overrides), then writes
     * the PREPEND headers, which come before smtpd's Received header (smtpd.c
     * common_pre_message_handling()).
     */
    void applyTo(CleanupTransaction t) {
        if (discard) {
            t.discard();
        } else if (hold) {
            t.hold();
        }
        if (redirect != null) {
            t.redirect(redirect);
        }
        for (MailAddress b : bcc) {
            t.addBcc(b);
        }
        if (filter != null) {
            t.filter(filter);
        }
        if (!prepend.isEmpty()) {
            StringBuilder b = new StringBuilder();
            for (String h : prepend) {
                b.append(h).append("\r\n");
            }
            t.write(Unpooled.copiedBuffer(b, StandardCharsets.UTF_8));
        }
    }

    // ---- check_table_result() branches (Postfix smtpd_check.c, postfix-3.12) ----------------

    /**
     * HOLD: logged once per transaction ({@code <name>: Class text}, or "triggers HOLD action"),
     * then DUNNO: "we may still change our mind, and reject/discard the message for other reasons".
     */
    static Verdict hold(Transaction tx, CheckContext ctx, String text, String replyName, String replyClass) {
        if (tx.actions().hold) {
            return Verdict.DUNNO;
        }
        tx.whatsup("hold", "<" + replyName + ">: " + replyClass + " "
                + (text.isEmpty() ? "triggers HOLD action" : text), ctx.recipient());
        tx.actions().hold = true;
        return Verdict.DUNNO;
    }

    /**
     * DISCARD: logged, and the list permits (smtpd_acl_permit()); from now on no restriction of the
     * transaction runs ({@code state->discard}), so every later recipient is accepted: the message
     * goes nowhere. "Claim successful delivery and silently discard the message."
     */
    static Verdict discard(Transaction tx, CheckContext ctx, String text, String replyName, String replyClass) {
        tx.whatsup("discard", "<" + replyName + ">: " + replyClass + " "
                + (text.isEmpty() ? "triggers DISCARD action" : text), ctx.recipient());
        tx.actions().discard = true;
        return Verdict.PERMIT;
    }

    /**
     * REDIRECT user@domain and BCC user@domain: a target without '@' is a warning and DUNNO, as in
     * Postfix; so is one Postern cannot queue (a quoted local part, an address literal: the
     * restrictions Postern puts on every envelope address, {@link MailAddress#parse}). Logged
     * {@code <name>: Class triggers REDIRECT addr}; DUNNO.
     */
    static Verdict redirectOrBcc(Transaction tx, CheckContext ctx, String word, String text, String table, String key,
                                 String replyName, String replyClass) {
        MailAddress target = null;
        if (text.indexOf('@') >= 0) {
            try {
                target = MailAddress.parse(text);
            } catch (IllegalArgumentException e) {
                target = null;
            }
        }
        if (target == null) {
            tx.warning("access table " + table + " entry \"" + key + "\" requires user@domain target");
            return Verdict.DUNNO;
        }
        tx.whatsup(word.toLowerCase(Locale.ROOT), "<" + replyName + ">: " + replyClass + " triggers " + word + " "
                + text, ctx.recipient());
        if (word.equals("REDIRECT")) {
            tx.actions().redirect = target;
        } else {
            tx.actions().bcc.add(target);
        }
        return Verdict.DUNNO;
    }

    /**
     * FILTER transport:destination, as Postfix checks it: an empty value ("has FILTER entry without
     * value") or one without ':' ("requires transport:destination") is a warning and DUNNO; else
     * logged {@code <name>: Class triggers FILTER transport:destination} (each time it fires) and
     * kept, the last one winning; DUNNO. Whether the transport exists is the queue manager's
     * question (Postfix's too): mail to one no master.cf line defines waits in the queue, deferred
     * with "mail transport unavailable" and a warning naming the transport. Beyond Postfix, a
     * control character is refused too (the value is one line of the queue file).
     */
    static Verdict filter(Transaction tx, CheckContext ctx, String text, String table, String key, String replyName,
                          String replyClass) {
        if (text.isEmpty()) {
            tx.warning("access table " + table + " entry \"" + key + "\" has FILTER entry without value");
            return Verdict.DUNNO;
        }
        if (text.indexOf(':') < 0 || text.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            tx.warning("access table " + table + " entry \"" + key + "\" requires transport:destination");
            return Verdict.DUNNO;
        }
        tx.whatsup("filter", "<" + replyName + ">: " + replyClass + " triggers FILTER " + text, ctx.recipient());
        tx.actions().filter = text;
        return Verdict.DUNNO;
    }

    /**
     * PREPEND headername: headervalue. Not logged; text that is not a header (is_header()) is a
     * warning and DUNNO. Beyond Postfix, control characters are refused too (CR or LF would let a
     * regexp table's {@code $1} start a line of its own in the message; NUL, ESC and the like have
     * no place in a header); TAB is allowed.
     */
    static Verdict prepend(Transaction tx, String text, String table, String key) {
        if (!isHeader(text) || hasControl(text)) {
            tx.warning("access table " + table + " entry \"" + key + "\" requires header: text");
            return Verdict.DUNNO;
        }
        tx.actions().prepend.add(text);
        return Verdict.DUNNO;
    }

    private static boolean hasControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /**
     * Postfix's is_header(): one or more printable ASCII characters other than ':' and space,
     * optional spaces or tabs, then ':'.
     */
    static boolean isHeader(String s) {
        int name = 0;
        int i = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ':') {
                return name > 0;
            }
            if (c == ' ' || c == '\t') {
                if (name == 0) {
                    return false;
                }
                continue;
            }
            if (c <= 0x20 || c >= 0x7f || (name > 0 && i > 0 && (s.charAt(i - 1) == ' ' || s.charAt(i - 1) == '\t'))) {
                return false; // a control, non-ASCII, or a second word before the ':'
            }
            name++;
        }
        return false;
    }
}

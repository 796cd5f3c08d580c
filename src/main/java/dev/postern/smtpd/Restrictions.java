package dev.postern.smtpd;

import dev.postern.mail.Reply;
import dev.postern.maps.LookupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * All restriction lists of one listener, evaluated the way Postfix does with smtpd_delay_reject=yes:
 * client, HELO and sender restrictions are applied at RCPT time, then smtpd_relay_restrictions and
 * smtpd_recipient_restrictions (relay first from compatibility_level 3.6 on, as
 * smtpd_relay_before_recipient_restrictions says). A permit ends one list, not the check; any
 * refusal ends it.
 */
final class Restrictions {
    private static final Logger LOG = LoggerFactory.getLogger(Restrictions.class);
    private final RestrictionList client;
    private final RestrictionList helo;
    private final RestrictionList sender;
    private final RestrictionList relay;
    private final RestrictionList recipient;
    private final RestrictionList data;
    private final boolean relayFirst;
    private final HeaderRewriteClients headerRewriteClients;
    private final UnlistedRecipients unlisted;

    private Restrictions(RestrictionList client, RestrictionList helo, RestrictionList sender, RestrictionList relay,
                         RestrictionList recipient, RestrictionList data, boolean relayFirst,
                         HeaderRewriteClients headerRewriteClients, UnlistedRecipients unlisted) {
        this.relayFirst = relayFirst;
        this.unlisted = unlisted;
        this.headerRewriteClients = headerRewriteClients;
        this.client = client;
        this.helo = helo;
        this.sender = sender;
        this.relay = relay;
        this.recipient = recipient;
        this.data = data;
    }

    /** @throws IllegalArgumentException for an unknown restriction or a bad table */
    static Restrictions compile(RestrictionSettings s) {
        Policy p = Policy.from(s);
        return new Restrictions(
                RestrictionList.compile(RestrictionList.Stage.CLIENT, "smtpd_client_restrictions", s.client(), p),
                RestrictionList.compile(RestrictionList.Stage.HELO, "smtpd_helo_restrictions", s.helo(), p),
                RestrictionList.compile(RestrictionList.Stage.SENDER, "smtpd_sender_restrictions", s.sender(), p),
                RestrictionList.compile(RestrictionList.Stage.RELAY, "smtpd_relay_restrictions", s.relay(), p),
                RestrictionList.compile(RestrictionList.Stage.RECIPIENT, "smtpd_recipient_restrictions", s.recipient(), p),
                RestrictionList.compile(RestrictionList.Stage.DATA, "smtpd_data_restrictions", s.data(), p),
                s.relayBeforeRecipient(), HeaderRewriteClients.compile(s.localHeaderRewriteClients(), p),
                UnlistedRecipients.compile(s.unlisted(), p));
    }

    /**
     * local_header_rewrite_clients: true when cleanup is to rewrite the client's header addresses
     * in the local context (asked at MAIL FROM, as Postfix's smtpd_check_rewrite()).
     * @throws LookupException a check_address_map table could not answer
     */
    boolean localHeaderRewrite(CheckContext ctx) throws LookupException {
        return headerRewriteClients.local(ctx);
    }

    /**
     * Null when the recipient is accepted, else the reply to send. As smtpd_check_rcpt() with
     * smtpd_delay_reject=yes: the client, helo (only after HELO/EHLO) and sender stages run first,
     * each ending at its first refusal (a permit ends only its own list); then
     * smtpd_relay_restrictions and smtpd_recipient_restrictions as one stage. A defer_if_permit
     * raised in any stage turns an accepted recipient into that deferral; a defer_if_reject turns a
     * later 5xx of the same stage into its deferral.
     */
    Reply checkRecipient(CheckContext ctx) {
        Refusal r = recipientRefusal(ctx, null);
        return r == null ? null : r.reply();
    }

    /**
     * A refusal and the restriction that made it (for metrics); "defer_if_permit" for a raised
     * deferral. {@code reply} is null for an access table's HANGUP: no reply, the session ends.
     */
    record Refusal(Reply reply, String restriction) {
        static final Refusal HANGUP = new Refusal(null, "HANGUP");

        boolean hangup() {
            return reply == null;
        }
    }

    /** As {@link #checkRecipient}, also naming the restriction that refused. */
    Refusal recipientRefusal(CheckContext ctx) {
        return recipientRefusal(ctx, null);
    }

    /**
     * As {@link #checkRecipient}, also naming the restriction that refused; access tables' message
     * actions go to {@code tx} (null: none are taken).
     */
    Refusal recipientRefusal(CheckContext ctx, MessageActions.Transaction tx) {
        RestrictionList.State st = new RestrictionList.State();
        st.tx = tx;
        for (RestrictionList list : new RestrictionList[] {client, helo, sender}) {
            st.deferIfReject = null;
            if (list == helo && ctx.helo() == null) {
                continue; // smtpd_check_helo() does nothing without a HELO name
            }
            Refusal r = refusal(list.evaluate(ctx, st), st);
            if (r != null) {
                return r;
            }
        }
        st.deferIfReject = null;
        for (RestrictionList list : relayFirst ? new RestrictionList[] {relay, recipient} : new RestrictionList[] {recipient, relay}) {
            Refusal r = refusal(list.evaluate(ctx, st), st);
            if (r != null) {
                return r;
            }
        }
        if (st.deferIfPermit != null) {
            return new Refusal(st.deferIfPermit, "defer_if_permit");
        }
        if (tx != null && tx.discarding()) {
            return null; // smtpd_check_rcpt(): no unknown-recipient check for a message being discarded
        }
        try { // smtpd_check_rcpt(): the unknown-recipient check comes after the restrictions
            Reply unknown = unlisted.refusal(ctx);
            return unknown == null ? null : new Refusal(unknown, "reject_unlisted_recipient");
        } catch (LookupException e) {
            LOG.warn("{}", e.getMessage());
            return new Refusal(Reply.of(451, "4.3.0", "<" + ctx.recipient() + ">: Temporary lookup failure"),
                    "reject_unlisted_recipient");
        }
    }

    private static Refusal refusal(Verdict v, RestrictionList.State st) {
        if (v instanceof Verdict.Refuse r) {
            return new Refusal(r.reply(), st.refusedBy);
        }
        return v instanceof Verdict.Hangup ? Refusal.HANGUP : null;
    }

    /** smtpd_check_data(): its own stage, defer_if_permit starts clear. */
    Reply checkData(CheckContext ctx) {
        Refusal r = dataRefusal(ctx, null);
        return r == null ? null : r.reply();
    }

    /** As {@link #checkData}, with the transaction's message actions (see {@link #recipientRefusal}). */
    Refusal dataRefusal(CheckContext ctx, MessageActions.Transaction tx) {
        RestrictionList.State st = new RestrictionList.State();
        st.tx = tx;
        Refusal r = refusal(data.evaluate(ctx, st), st);
        if (r != null) {
            return r;
        }
        return st.deferIfPermit == null ? null : new Refusal(st.deferIfPermit, "defer_if_permit");
    }
}

package dev.postern.smtpd;

import dev.postern.mail.Reply;

/**
 * The outcome of one restriction or list (Postfix: OK, REJECT/DEFER with a reply, or DUNNO), or
 * an access table's HANGUP: the session ends without a reply.
 */
public sealed interface Verdict {
    Verdict PERMIT = new Permit();
    Verdict DUNNO = new Dunno();
    Verdict HANGUP = new Hangup();

    record Permit() implements Verdict {
    }

    record Dunno() implements Verdict {
    }

    /** smtpd_check.c HANGUP: "Drop the connection without sending any reply"; already logged. */
    record Hangup() implements Verdict {
    }

    /** Reject or defer, depending on the reply's code class. */
    record Refuse(Reply reply) implements Verdict {
    }
}

package dev.postern.smtpd;

import dev.postern.mail.Reply;

/** The outcome of one restriction or list (Postfix: OK, REJECT/DEFER with a reply, or DUNNO). */
public sealed interface Verdict {
    Verdict PERMIT = new Permit();
    Verdict DUNNO = new Dunno();

    record Permit() implements Verdict {
    }

    record Dunno() implements Verdict {
    }

    /** Reject or defer, depending on the reply's code class. */
    record Refuse(Reply reply) implements Verdict {
    }
}

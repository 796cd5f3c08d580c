package dev.postern.smtp;

import dev.postern.mail.Dsn;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.Xtext;

/**
 * The RFC 3461 parameters passed on to a next hop that announced DSN, as Postfix's smtp_proto.c
 * writes them: {@code ENVID=} (xtext) and {@code RET=} on MAIL FROM only when the client gave
 * them (§5.2.1: never made up), {@code ORCPT=} on every RCPT TO (the client's, else
 * {@code rfc822;} the recipient itself, which §5.2.1 allows and Postfix does) and {@code NOTIFY=}
 * only when the client gave it.
 */
final class DsnClientParameters {
    private DsnClientParameters() {
    }

    static void mail(StringBuilder out, Dsn dsn) {
        if (dsn.envelopeId() != null) {
            out.append(" ENVID=").append(Xtext.encode(dsn.envelopeId()));
        }
        if (dsn.ret() != null) {
            out.append(" RET=").append(dsn.ret());
        }
    }

    static void rcpt(StringBuilder out, MailAddress rcpt, RecipientDsn dsn, boolean smtpUtf8) {
        if (dsn.orcptType() != null) {
            out.append(" ORCPT=").append(dsn.orcptType()).append(';').append(Xtext.encode(dsn.orcptAddress()));
        } else {
            String address = rcpt.toString();
            // Postfix: "utf-8" only when the sender asked SMTPUTF8 and the address needs it.
            boolean utf8 = smtpUtf8 && !address.chars().allMatch(c -> c < 0x80);
            out.append(" ORCPT=").append(utf8 ? "utf-8" : "rfc822").append(';').append(Xtext.encode(address));
        }
        if (!dsn.notifyOn().isEmpty()) {
            out.append(" NOTIFY=").append(dsn.notifyKeywords());
        }
    }
}

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
        String type = dsn.orcptType();
        String address = dsn.orcptAddress();
        if (type == null) {
            address = rcpt.toString();
            // Postfix: "utf-8" only when the sender asked SMTPUTF8 and the address needs it.
            type = smtpUtf8 && !address.chars().allMatch(c -> c < 0x80) ? "utf-8" : "rfc822";
        }
        // The quoting must match the type (Postfix "Fix 20140707"): RFC 6533 unitext for utf-8.
        out.append(" ORCPT=").append(type).append(';')
                .append(type.equalsIgnoreCase("utf-8") ? Xtext.encodeUnitext(address) : Xtext.encode(address));
        if (!dsn.notifyOn().isEmpty()) {
            out.append(" NOTIFY=").append(dsn.notifyKeywords());
        }
    }
}

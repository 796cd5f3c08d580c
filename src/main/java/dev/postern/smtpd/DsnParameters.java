package dev.postern.smtpd;

import dev.postern.mail.Dsn;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.Reply;
import dev.postern.mail.Xtext;

import java.util.Locale;
import java.util.Set;

/**
 * The RFC 3461 DSN parameters of MAIL FROM (RET, ENVID) and RCPT TO (NOTIFY, ORCPT), checked as
 * Postfix's smtpd.c does, with its reply texts. One instance collects the parameters of one
 * command, in the client's order: {@link #mail} / {@link #rcpt} return null when the parameter is
 * fine, a reply when it is bad or given twice (Postfix refuses a repeated DSN parameter).
 */
final class DsnParameters {
    private Dsn.Ret ret;
    private String envelopeId;
    private Set<RecipientDsn.Notify> notify = Set.of();
    private String orcptType;
    private String orcptAddress;

    /** RET=FULL|HDRS (any case) or ENVID=xtext (decoded, printable ASCII only, as Postfix). */
    Reply mail(String name, String value) {
        if (name.equals("RET")) {
            String v = value.toUpperCase(Locale.ROOT);
            if (ret != null || !(v.equals("FULL") || v.equals("HDRS"))) {
                return Reply.of(501, "5.5.4", "Bad RET parameter syntax");
            }
            ret = Dsn.Ret.valueOf(v);
            return null;
        }
        String decoded = decodeOrNull(value);
        if (envelopeId != null || decoded == null || decoded.isEmpty() || !printable(decoded)) {
            return Reply.of(501, "5.5.4", "Bad ENVID parameter syntax");
        }
        envelopeId = decoded;
        return null;
    }

    /** NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY; ORCPT=addr-type;xtext. */
    Reply rcpt(String name, String value) {
        if (name.equals("NOTIFY")) {
            try {
                if (!notify.isEmpty()) {
                    throw new IllegalArgumentException("twice");
                }
                notify = RecipientDsn.parseNotify(value);
                return null;
            } catch (IllegalArgumentException e) {
                return Reply.of(501, "5.5.4", "Error: Bad NOTIFY parameter syntax");
            }
        }
        int semi = value.indexOf(';');
        String address = semi <= 0 ? null : value.substring(0, semi).equalsIgnoreCase("utf-8")
                ? unitextOrNull(value.substring(semi + 1)) : decodeOrNull(value.substring(semi + 1));
        if (orcptType != null || address == null || address.isEmpty() || address.indexOf('\0') >= 0) {
            return Reply.of(501, "5.5.4", "Error: Bad ORCPT parameter syntax");
        }
        orcptType = value.substring(0, semi);
        orcptAddress = address;
        return null;
    }

    Dsn messageDsn() {
        return new Dsn(ret, envelopeId);
    }

    RecipientDsn recipientDsn() {
        return new RecipientDsn(notify, orcptType, orcptAddress);
    }

    private static String decodeOrNull(String xtext) {
        try {
            return Xtext.decode(xtext);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String unitextOrNull(String text) {
        try {
            return Xtext.decodeUnitext(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Postfix's all_isprint_tab(): the ENVID goes into a report header, so no controls or 8-bit. */
    private static boolean printable(String s) {
        return s.chars().allMatch(c -> c == '\t' || (c >= 0x20 && c < 0x7f));
    }
}

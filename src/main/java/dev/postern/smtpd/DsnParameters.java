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
 * command: {@link #mail} / {@link #rcpt} return null when the parameter is one of these and is
 * fine, a reply when it is bad; {@link #isDsn} says whether a parameter name is one of these.
 */
final class DsnParameters {
    private Dsn.Ret ret;
    private String envelopeId;
    private Set<RecipientDsn.Notify> notify = Set.of();
    private String orcptType;
    private String orcptAddress;

    static boolean isMailParameter(String name) {
        return name.equals("RET") || name.equals("ENVID");
    }

    static boolean isRcptParameter(String name) {
        return name.equals("NOTIFY") || name.equals("ORCPT");
    }

    /**
     * Postfix refuses a DSN parameter given twice on one command; {@code PathArgument} keeps only
     * the last value, so they are counted in the raw argument (after the path's closing '>').
     */
    static Reply repeated(String argument) {
        int close = argument.indexOf('>');
        if (close < 0) {
            return null;
        }
        java.util.Set<String> seen = null;
        String rest = argument.substring(close + 1).strip();
        for (int start = 0, end; start < rest.length(); start = end + 1) { // words between spaces (was split(" +"))
            end = rest.indexOf(' ', start);
            if (end < 0) {
                end = rest.length();
            }
            if (end == start) {
                continue;
            }
            String p = rest.substring(start, end);
            if (seen == null) {
                seen = new java.util.HashSet<>();
            }
            int eq = p.indexOf('=');
            String name = (eq < 0 ? p : p.substring(0, eq)).toUpperCase(Locale.ROOT);
            if ((isMailParameter(name) || isRcptParameter(name)) && !seen.add(name)) {
                return switch (name) {
                    case "RET" -> Reply.of(501, "5.5.4", "Bad RET parameter syntax");
                    case "ENVID" -> Reply.of(501, "5.5.4", "Bad ENVID parameter syntax");
                    case "NOTIFY" -> Reply.of(501, "5.5.4", "Error: Bad NOTIFY parameter syntax");
                    default -> Reply.of(501, "5.5.4", "Error: Bad ORCPT parameter syntax");
                };
            }
        }
        return null;
    }

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

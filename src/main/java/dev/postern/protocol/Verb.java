package dev.postern.protocol;

import java.util.Locale;

/** The SMTP commands Postern knows; {@link #UNKNOWN} for anything else. */
public enum Verb {
    EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS, AUTH, ETRN, UNKNOWN;

    public static Verb of(String word) {
        try {
            return valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }

    /** RFC 2920 §3.1: these must be the last command in a pipelined group. */
    public boolean mustEndPipelineGroup() {
        return switch (this) {
            case EHLO, HELO, DATA, VRFY, EXPN, NOOP, QUIT, STARTTLS, AUTH, ETRN -> true;
            default -> false;
        };
    }
}

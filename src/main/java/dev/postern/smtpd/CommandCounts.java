package dev.postern.smtpd;

import java.util.Locale;

/**
 * Postfix's per-session command tally for the disconnect line:
 * {@code ehlo=2 starttls=1 mail=1 rcpt=0/1 data=1 quit=1 commands=6/7} (ok/total when they differ),
 * in the order of Postfix's command table (smtpd.c smtpd_cmd_table, then "unknown"), not the
 * order of arrival: {@code smtpd_format_cmd_stats} walks that table. A word that is not in the
 * table (EXPN, anything else) counts as "unknown", as in Postfix. Two small arrays per session.
 * With smtpd_forbid_bare_newline = note, a session that sent a bare LF ends with Postfix's
 * {@code notes=bare_lf}.
 */
final class CommandCounts {
    private static final String[] TABLE = {"helo", "ehlo", "xclient", "xforward", "starttls", "auth", "mail", "rcpt",
            "data", "bdat", "rset", "noop", "vrfy", "etrn", "quit", "help", "unknown"};
    private static final int UNKNOWN = TABLE.length - 1;

    private final int[] ok = new int[TABLE.length];
    private final int[] total = new int[TABLE.length];
    private boolean bareNewline;

    void record(String verb, boolean success) {
        int i = index(verb.toLowerCase(Locale.ROOT));
        total[i]++;
        if (success) {
            ok[i]++;
        }
    }

    /**
     * DATA after its 354: counted now, as tried; {@link #succeeded} when the message is queued
     * (Postfix's data_cmd() succeeds only with the 250 at the end, so a refused message shows as
     * {@code data=0/1}, and a connection lost in the middle too).
     */
    void attempted(String verb) {
        total[index(verb.toLowerCase(Locale.ROOT))]++;
    }

    void succeeded(String verb) {
        ok[index(verb.toLowerCase(Locale.ROOT))]++;
    }

    /** A command or a line of message content ended with a bare LF (smtpd_forbid_bare_newline = note). */
    void noteBareNewline() {
        bareNewline = true;
    }

    private static int index(String verb) {
        for (int i = 0; i < UNKNOWN; i++) {
            if (TABLE[i].equals(verb)) {
                return i;
            }
        }
        return UNKNOWN;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        int allOk = 0;
        int all = 0;
        for (int i = 0; i < TABLE.length; i++) {
            if (total[i] > 0) {
                sb.append(TABLE[i]).append('=').append(pair(ok[i], total[i])).append(' ');
                allOk += ok[i];
                all += total[i];
            }
        }
        sb.append("commands=").append(pair(allOk, all));
        if (bareNewline) {
            sb.append(" notes=bare_lf");
        }
        return sb.toString();
    }

    private static String pair(int good, int all) {
        return good == all ? Integer.toString(all) : good + "/" + all;
    }
}

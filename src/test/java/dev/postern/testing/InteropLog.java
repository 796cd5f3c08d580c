package dev.postern.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Mail log lines as interop tests compare them between Postern and Postfix: one daemon's lines,
 * without what must differ (time, host, program name, pid, queue ID, the client's host name).
 */
public final class InteropLog {
    private static final Pattern QID = Pattern.compile("^[0-9A-F]{6,}(?=: )");
    private static final Pattern CLIENT = Pattern.compile("from [^ \\[]+\\[127\\.0\\.0\\.1\\]");

    private InteropLog() {}

    /**
     * Matches the start of a log up to the end of its {@code n}th disconnect line with command
     * counts (Postfix's readiness probes, see {@link PostfixInstance}, log "commands=0/0" without
     * "ehlo="). Anchored and atomic: a log with fewer such lines fails in linear time, where an
     * unanchored {@code (disconnect ... .*){n}} backtracks exponentially in n.
     */
    public static String disconnects(int n) {
        return "\\A(?s)(?>.*?disconnect from \\S+ ehlo=[^\\n]*\\n){" + n + "}";
    }

    /**
     * The lines {@code daemon} logged ("postfix/smtpd[pid]: " or "postern/smtpd[pid]: " for
     * "smtpd"), each as the text after its pid, with a leading queue ID as "QID" and the client
     * "name[127.0.0.1]" as "CLIENT" (Postfix's name comes from its own lookup).
     */
    public static List<String> lines(String log, String daemon) {
        List<String> out = new ArrayList<>();
        String tag = "/" + daemon + "[";
        for (String line : log.lines().toList()) {
            int at = line.indexOf(tag);
            if (at < 0) {
                continue;
            }
            String text = line.substring(line.indexOf("]: ", at) + 3);
            text = QID.matcher(text).replaceFirst("QID");
            out.add(CLIENT.matcher(text).replaceAll("from CLIENT"));
        }
        return out;
    }
}

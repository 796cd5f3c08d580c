package dev.postern.log;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a {@link LogRecord} into the bytes of one line or datagram.
 * <ul>
 * <li>file or stream, text: {@code Mmm dd HH:MM:SS host name/service[pid]: text\n}, as postlogd
 * writes maillog_file (space-padded day, as pflogsumm's "-d today" expects);</li>
 * <li>syslog: {@code <PRI>Mmm dd HH:MM:SS name/service[pid]: text}, what glibc's syslog(3) sends
 * for Postfix (RFC 3164; no host: the syslog daemon adds it), PRI = facility * 8 + level;</li>
 * <li>json: one object per record ({@code time, host, program, pid, severity}, the record's
 * fields, {@code message} = the text line), a line of its own or the syslog message.</li>
 * </ul>
 */
final class LineFormat {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final String hostname;
    private final String syslogName;
    private final int facility; // -1: not syslog
    private final boolean json;
    private final long pid = ProcessHandle.current().pid();
    private final ZoneId zone = ZoneId.systemDefault();
    private volatile Stamp stamp = new Stamp(Long.MIN_VALUE, "");

    private record Stamp(long second, String text) {
    }

    LineFormat(String hostname, String syslogName, int facility, boolean json) {
        this.hostname = hostname;
        this.syslogName = syslogName;
        this.facility = facility;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    String syslogName() {
        return syslogName;
    }

    /** The same format with another program prefix (a master.cf service's syslog_name). */
    LineFormat withSyslogName(String name) {
        return new LineFormat(hostname, name, facility, json);
    }

    byte[] format(LogRecord r) {
        StringBuilder sb = new StringBuilder(160);
        String program = syslogName + "/" + r.service();
        if (facility >= 0) {
            sb.append('<').append(facility * 8 + r.severity().level).append('>')
                    .append(stamp(r.epochMillis())).append(' ').append(program).append('[').append(pid).append("]: ");
            body(sb, r, program);
        } else if (json) {
            body(sb, r, program);
            sb.append('\n');
        } else {
            sb.append(stamp(r.epochMillis())).append(' ').append(hostname).append(' ')
                    .append(program).append('[').append(pid).append("]: ");
            appendPrintable(sb, r.text());
            sb.append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Postfix's printable(): a control character in a log line (a CR or LF from a message's header
     * that a check quotes, a table's $1) becomes '?', so no text can start a line of its own in the
     * log and fool what reads it (fail2ban, pflogsumm). JSON escapes them instead.
     */
    static void appendPrintable(StringBuilder sb, String text) {
        int i = 0;
        while (i < text.length() && text.charAt(i) >= 0x20 && text.charAt(i) != 0x7f) {
            i++;
        }
        if (i == text.length()) {
            sb.append(text); // the usual case: nothing to replace
            return;
        }
        for (int j = 0; j < text.length(); j++) {
            char c = text.charAt(j);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
    }

    private void body(StringBuilder sb, LogRecord r, String program) {
        if (!json) {
            appendPrintable(sb, r.text());
            return;
        }
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("time", Instant.ofEpochMilli(r.epochMillis()).toString());
        all.put("host", hostname);
        all.put("program", program);
        all.put("pid", pid);
        all.put("severity", r.severity().name().toLowerCase(Locale.ROOT));
        all.putAll(r.fields());
        all.put("message", r.text());
        Json.object(sb, all);
    }

    /** The syslog time stamp, formatted once per second rather than once per line. */
    private String stamp(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        Stamp s = stamp;
        if (s.second() != second) {
            s = new Stamp(second, ZonedDateTime.ofInstant(Instant.ofEpochSecond(second), zone).format(STAMP));
            stamp = s;
        }
        return s.text();
    }
}

package dev.postern.log;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Where and how the mail log is written. Built from main.cf through a getter (this package sits
 * beside config, not above it): {@code MailLogSettings.from(config::get)}.
 *
 * @param file maillog_file; empty: syslog, or the foreground's stdout
 * @param syslogFacility facility code for syslog_facility (mail = 2)
 * @param syslogSocket postern_syslog_socket: the local syslog socket, /dev/log (tests bind their own)
 * @param rotateSuffix maillog_file_rotate_suffix, strftime(3) style
 * @param compressor maillog_file_compressor: a command given the rotated file; empty: none
 */
public record MailLogSettings(String file, String hostname, String syslogName, int syslogFacility, Path syslogSocket,
                              boolean json, String rotateSuffix, String compressor) {
    /** syslog(3) facility codes by the names Postfix accepts for syslog_facility. */
    public static final Map<String, Integer> FACILITIES = Map.ofEntries(
            Map.entry("kern", 0), Map.entry("user", 1), Map.entry("mail", 2), Map.entry("daemon", 3),
            Map.entry("auth", 4), Map.entry("security", 4), Map.entry("syslog", 5), Map.entry("lpr", 6),
            Map.entry("news", 7), Map.entry("uucp", 8), Map.entry("cron", 9), Map.entry("authpriv", 10),
            Map.entry("ftp", 11), Map.entry("local0", 16), Map.entry("local1", 17), Map.entry("local2", 18),
            Map.entry("local3", 19), Map.entry("local4", 20), Map.entry("local5", 21), Map.entry("local6", 22),
            Map.entry("local7", 23));

    public static MailLogSettings from(Function<String, String> main) {
        String facility = main.apply("syslog_facility").toLowerCase(Locale.ROOT);
        Integer code = FACILITIES.get(facility);
        if (code == null) { // Params checks the value; this guards callers that bypass it
            throw new IllegalArgumentException("syslog_facility = " + facility + ": not a syslog facility");
        }
        return new MailLogSettings(main.apply("maillog_file"), main.apply("myhostname"), main.apply("syslog_name"), code,
                Path.of(main.apply("postern_syslog_socket")), "json".equals(main.apply("postern_maillog_format")),
                main.apply("maillog_file_rotate_suffix"), main.apply("maillog_file_compressor"));
    }
}

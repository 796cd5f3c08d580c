package dev.postern.log;

import java.util.Map;

/**
 * One mail log record before formatting: the Postfix text that text logs and syslog carry, and
 * the same facts as named fields for {@code postern_maillog_format = json}. Field values are
 * String, Number, or a List of them; insertion order is kept.
 */
record LogRecord(long epochMillis, Severity severity, String service, String text, Map<String, Object> fields) {
    /** syslog(3) levels Postfix uses (msg_info, msg_warn, msg_error, msg_fatal, msg_panic). */
    enum Severity {
        INFO(6), WARNING(4), ERROR(3), FATAL(2);

        final int level;

        Severity(int level) {
            this.level = level;
        }
    }
}

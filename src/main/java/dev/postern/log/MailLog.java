package dev.postern.log;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import dev.postern.metrics.Metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The mail log: the only code that formats Postfix-style records, so pflogsumm and friends keep
 * working. Text lines are {@code Mmm dd HH:MM:SS host postern/<service>[pid]: text}; syslog
 * datagrams and JSON objects carry the same records (see {@link LineFormat}). Thread-safe. Made
 * with the constructor, each line is written and flushed by the caller; made with {@link #async}
 * or {@link #open}, as the daemon does, lines go through a dedicated writer so no event loop
 * waits for the disk or the syslog socket.
 */
public final class MailLog implements AutoCloseable {
    /** Lines the async writer holds before it counts drops (about 3 MB of typical lines). */
    private static final int ASYNC_CAPACITY = 16_384;

    private final LogWriter out;
    private final LineFormat format;
    private final String destination;
    /** Counts the records that are also metrics, so each event counts exactly once. */
    private final Metrics metrics;
    /** False for a view ({@link #withSyslogName}): the writer belongs to the log it came from. */
    private final boolean ownsWriter;

    /** Writes and flushes each line in the calling thread. */
    public MailLog(OutputStream out, String hostname, String syslogName) {
        this.format = new LineFormat(hostname, syslogName, -1, false);
        this.out = LogWriter.direct(LogSink.of(out));
        this.destination = "stream";
        this.metrics = Metrics.off();
        this.ownsWriter = true;
    }

    private MailLog(MailLog base, LineFormat format) {
        this.out = base.out;
        this.format = format;
        this.destination = base.destination;
        this.metrics = base.metrics;
        this.ownsWriter = false;
    }

    private MailLog(LogSink sink, LineFormat format, String destination, Metrics metrics) {
        this.format = format;
        this.destination = destination;
        this.metrics = metrics;
        this.ownsWriter = true;
        this.out = LogWriter.async(sink, ASYNC_CAPACITY, n -> format.format(record(LogRecord.Severity.WARNING, "master",
                "warning: mail log: " + n + " lines dropped because the log could not be written fast enough", Map.of())));
    }

    /**
     * A log written by its own thread, flushed per batch; callers never block on it. Lines are
     * dropped (and the drops counted in the log) only when the queue of unwritten lines is full.
     */
    public static MailLog async(OutputStream out, String hostname, String syslogName) {
        return async(out, hostname, syslogName, Metrics.off());
    }

    /** As {@link #async(OutputStream, String, String)}, counting the records in {@code metrics} too. */
    public static MailLog async(OutputStream out, String hostname, String syslogName, Metrics metrics) {
        return new MailLog(LogSink.of(out), new LineFormat(hostname, syslogName, -1, false), "stream", metrics);
    }

    /** The server's metrics ({@link Metrics#off()} unless postern_metrics_listen is set). */
    public Metrics metrics() {
        return metrics;
    }

    /** As {@link #open(MailLogSettings, OutputStream, Metrics)} without metrics. */
    public static MailLog open(MailLogSettings s, OutputStream foreground) throws IOException {
        return open(s, foreground, Metrics.off());
    }

    /**
     * The daemon's log, as Postfix 3.7 chooses it: maillog_file when set (reopened when renamed);
     * otherwise {@code foreground} when given (start-fg on a terminal or in a container); otherwise
     * syslog. Without a usable syslog socket it falls back to stderr and says so there, rather than
     * losing the log in silence.
     * @throws IOException when maillog_file cannot be opened
     */
    public static MailLog open(MailLogSettings s, OutputStream foreground, Metrics metrics) throws IOException {
        if (!s.file().isEmpty()) {
            return new MailLog(new FileSink(Path.of(s.file())), new LineFormat(s.hostname(), s.syslogName(), -1, s.json()),
                    s.file(), metrics);
        }
        if (foreground != null) {
            return new MailLog(LogSink.of(foreground), new LineFormat(s.hostname(), s.syslogName(), -1, s.json()), "stdout", metrics);
        }
        String problem = SyslogSink.unavailable(s.syslogSocket());
        if (problem == null) {
            try {
                return new MailLog(SyslogSink.open(s.syslogSocket()),
                        new LineFormat(s.hostname(), s.syslogName(), s.syslogFacility(), s.json()), "syslog " + s.syslogSocket(), metrics);
            } catch (IOException e) {
                problem = e.getMessage();
            }
        }
        System.err.println("postern: warning: " + problem + "; the mail log goes to stderr (set maillog_file to choose a file)");
        return new MailLog(LogSink.of(System.err), new LineFormat(s.hostname(), s.syslogName(), -1, s.json()), "stderr", metrics);
    }

    /**
     * True when stdout is the systemd journal (systemd sets JOURNAL_STREAM to the device and inode
     * of the stream it connected; a child that merely inherited the variable has another stdout).
     * Under systemd, start-fg then logs to syslog so that lines reach /var/log/mail.log with
     * Postfix's program names instead of the journal's "postern[pid]:" prefix.
     */
    public static boolean stdoutIsJournal() {
        String stream = System.getenv("JOURNAL_STREAM");
        if (stream == null || !stream.contains(":")) {
            return false;
        }
        try {
            Path fd = Path.of("/proc/self/fd/1");
            Object dev = java.nio.file.Files.getAttribute(fd, "unix:dev");
            Object ino = java.nio.file.Files.getAttribute(fd, "unix:ino");
            return stream.equals(dev + ":" + ino);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Where lines go: a file name, "stdout", "stderr", "stream" or "syslog /dev/log". */
    public String destination() {
        return destination;
    }

    /**
     * The same log, its lines tagged {@code syslogName/<service>[pid]} instead: a master.cf service's
     * {@code -o syslog_name=postfix/isp} gives {@code postfix/isp/smtp[pid]:}, as Postfix's
     * mail_task() composes the tag. Shares this log's writer (order and back-pressure are
     * common) and metrics; closing the view does nothing.
     */
    public MailLog withSyslogName(String syslogName) {
        return syslogName.equals(format.syslogName()) ? this : new MailLog(this, format.withSyslogName(syslogName));
    }

    /** Writes what is pending and stops the writer. Lines logged afterwards are lost. A view's close does nothing. */
    @Override
    public void close() {
        if (ownsWriter) {
            out.close();
        }
    }

    public void info(String service, String text) {
        line(LogRecord.Severity.INFO, service, text, () -> RecordFields.ofText(text));
    }

    public void warning(String service, String text) {
        line(LogRecord.Severity.WARNING, service, "warning: " + text, () -> RecordFields.ofText(text));
    }

    public void connect(String service, String client) {
        metrics.connect();
        line(LogRecord.Severity.INFO, service, "connect from " + client, () -> fields("event", "connect", "client", client));
    }

    /** {@code counts} is Postfix's per-command tally, e.g. "ehlo=2 starttls=1 mail=1 ... commands=7". */
    public void disconnect(String service, String client, String counts) {
        metrics.disconnect();
        line(LogRecord.Severity.INFO, service, "disconnect from " + client + (counts.isEmpty() ? "" : " " + counts),
                () -> fields("event", "disconnect", "client", client, "commands", counts.isEmpty() ? null : counts));
    }

    public void client(String service, String queueId, String client) {
        metrics.smtpdMessage();
        line(LogRecord.Severity.INFO, service, queueId + ": client=" + client,
                () -> fields("event", "client", "queue_id", queueId, "client", client));
    }

    /** smtpd.c: the queue ID line of an authenticated client ({@code client=..., sasl_method=..., sasl_username=...}). */
    public void client(String service, String queueId, String client, String saslMethod, String saslUsername) {
        metrics.smtpdMessage();
        info(service, queueId + ": client=" + client + ", sasl_method=" + saslMethod + ", sasl_username=" + saslUsername);
    }

    /** cleanup's {@code message-id=} line, logged as the header is read (the message may still be refused). */
    public void messageId(String queueId, String messageId) {
        line(LogRecord.Severity.INFO, "cleanup", queueId + ": message-id=" + messageId,
                () -> fields("event", "message-id", "queue_id", queueId, "message_id", messageId));
    }

    /** A message is in the queue (its commit completed): the processed-messages counter. */
    public void committed() {
        metrics.messageCommitted();
    }

    /** cleanup's {@code QUEUEID: resent-message-id=<...>} (a message carrying Resent- headers). */
    public void resentMessageId(String queueId, String resentMessageId) {
        line(LogRecord.Severity.INFO, "cleanup", queueId + ": resent-message-id=" + resentMessageId,
                () -> fields("event", "resent-message-id", "queue_id", queueId, "message_id", resentMessageId));
    }

    public void from(String queueId, String sender, long size, int nrcpt) {
        line(LogRecord.Severity.INFO, "qmgr", queueId + ": from=<" + sender + ">, size=" + size + ", nrcpt=" + nrcpt + " (queue active)",
                () -> fields("event", "from", "queue_id", queueId, "from", sender, "size", size, "nrcpt", nrcpt));
    }

    /**
     * An access(5) DISCARD: cleanup logs the Message-ID, then {@code removed (discarded)} (Postfix
     * 3.10's wording). Nothing was queued, so the queue counters are left alone; it has a counter
     * of its own.
     */
    /** {@code messageId} null when its line was logged already (a body check's DISCARD). */
    public void discarded(String queueId, String messageId) {
        metrics.discarded();
        if (messageId != null) {
            line(LogRecord.Severity.INFO, "cleanup", queueId + ": message-id=" + messageId,
                    () -> fields("event", "message-id", "queue_id", queueId, "message_id", messageId));
        }
        line(LogRecord.Severity.INFO, "cleanup", queueId + ": removed (discarded)",
                () -> fields("event", "removed", "queue_id", queueId, "reason", "discarded"));
    }

    /**
     * cleanup_act_log(), for a header_checks or body_checks action: {@code QUEUEID: reject: header
     * Subject: x from host[addr]; from=<s> to=<r> proto=ESMTP helo=<h>: 5.7.1 message content
     * rejected}. The content is cut at 200 characters and its control characters (a folded
     * header's newline and tab) shown as '?', as Postfix's logging does. {@code proto} and
     * {@code helo} may be null (local submission); {@code text} may be empty.
     */
    public void contentAction(String queueId, String action, String where, String content, String origin, String from,
                              String to, String proto, String helo, String text) {
        StringBuilder c = new StringBuilder(Math.min(200, content.length()));
        content.codePoints().limit(200).forEach(cp -> c.appendCodePoint(cp < 0x20 || cp == 0x7f ? '?' : cp));
        StringBuilder sb = new StringBuilder(160);
        sb.append(queueId).append(": ").append(action).append(": ").append(where).append(' ').append(c)
                .append(" from ").append(origin).append(';');
        sb.append(" from=<").append(from).append('>');
        if (to != null) {
            sb.append(" to=<").append(to).append('>');
        }
        if (proto != null) {
            sb.append(" proto=").append(proto);
        }
        if (helo != null) {
            sb.append(" helo=<").append(helo).append('>');
        }
        if (text != null && !text.isEmpty()) {
            sb.append(": ").append(text);
        }
        line(LogRecord.Severity.INFO, "cleanup", sb.toString(), () -> fields("event", "content-check", "queue_id", queueId,
                "action", action, "where", where, "content", c.toString(), "client", origin, "from", from, "to", to,
                "proto", proto, "helo", helo, "text", text == null || text.isEmpty() ? null : text));
    }

    /**
     * cleanup_mime_error_callback(): {@code QUEUEID: reject: mime-error MIME nesting exceeds safety
     * limit: Content-Type: ... from host[addr]; from=<s> to=<r>} (the header cut at 100 characters).
     */
    public void mimeError(String queueId, String error, String header, String origin, String from, String to) {
        line(LogRecord.Severity.INFO, "cleanup", queueId + ": reject: mime-error " + error + ": " + header + " from " + origin
                + "; from=<" + from + "> to=<" + to + ">", () -> fields("event", "reject", "queue_id", queueId, "stage",
                "mime-error", "reply", error, "client", origin, "from", from, "to", to));
    }

    public void removed(String queueId) {
        metrics.removed();
        line(LogRecord.Severity.INFO, "qmgr", queueId + ": removed", () -> fields("event", "removed", "queue_id", queueId));
    }

    /**
     * {@code NOQUEUE: reject: RCPT from host[addr]: 554 5.7.1 <r>: Relay access denied; from=<s> to=<r> proto=ESMTP helo=<h>}.
     * {@code to} may be null (MAIL-stage rejects).
     */
    public void reject(String service, String queueId, String stage, String client, String reply,
                       String from, String to, String proto, String helo) {
        reject(service, queueId, stage, client, reply, from, to, proto, helo, null);
    }

    /**
     * As above, with {@code sasl_method=EXTERNAL sasl_username=u} at the end when the client
     * authenticated (Postfix's log_whatsup() since 3.10; Postern's only SASL method is EXTERNAL);
     * {@code saslUsername} null when it did not.
     */
    public void reject(String service, String queueId, String stage, String client, String reply,
                       String from, String to, String proto, String helo, String saslUsername) {
        StringBuilder sb = new StringBuilder();
        sb.append(queueId == null ? "NOQUEUE" : queueId).append(": reject: ").append(stage)
                .append(" from ").append(client).append(": ").append(reply).append(';');
        if (from != null) {
            sb.append(" from=<").append(from).append('>');
        }
        if (to != null) {
            sb.append(" to=<").append(to).append('>');
        }
        sb.append(" proto=").append(proto);
        if (helo != null) {
            sb.append(" helo=<").append(helo).append('>');
        }
        if (saslUsername != null) {
            sb.append(" sasl_method=EXTERNAL sasl_username=").append(saslUsername);
        }
        line(LogRecord.Severity.INFO, service, sb.toString(), () -> {
            Map<String, Object> f = rejectFields(queueId, stage, client, reply, from, to, proto, helo);
            if (saslUsername != null) {
                f.put("sasl_method", "EXTERNAL");
                f.put("sasl_username", saslUsername);
            }
            return f;
        });
    }

    private static Map<String, Object> rejectFields(String queueId, String stage, String client, String reply,
                                                    String from, String to, String proto, String helo) {
        String[] words = reply.split(" ", 3);
        return fields("event", "reject", "queue_id", queueId, "stage", stage, "client", client,
                "code", words[0].matches("[2-5]\\d\\d") ? Integer.valueOf(words[0]) : null,
                "dsn", words.length > 1 && words[1].matches("[245]\\.\\d{1,3}\\.\\d{1,3}") ? words[1] : null,
                "reply", reply, "from", from, "to", to, "proto", proto, "helo", helo);
    }

    /**
     * A delivery record. {@code beforeQmgr} and {@code inQmgr} are the a and b parts of
     * {@code delays=a/b/c/d}; c and d come from the result. {@code conn_use=} only for a reused
     * connection, as Postfix's log_adhoc.c does.
     */
    public void delivery(String service, String queueId, RecipientResult r, Instant arrival, Instant now,
                         Duration beforeQmgr, Duration inQmgr) {
        delivery(service, service, queueId, r, arrival, now, beforeQmgr, inQmgr);
    }

    /**
     * A delivery record logged under {@code program} ({@code smtp} for a master.cf transport of the
     * user's own, as Postfix's smtp process logs it) and counted in the metrics under {@code transport}.
     */
    public void delivery(String program, String transport, String queueId, RecipientResult r, Instant arrival, Instant now,
                         Duration beforeQmgr, Duration inQmgr) {
        delivery(program, transport, queueId, r, null, arrival, now, beforeQmgr, inQmgr);
    }

    /**
     * As above, with the recipient's original address ({@code orig_to=}, Postfix's log_adhoc.c:
     * only when it differs from the recipient, ignoring case; null for none).
     */
    public void delivery(String program, String transport, String queueId, RecipientResult r, String original,
                         Instant arrival, Instant now, Duration beforeQmgr, Duration inQmgr) {
        Duration total = Duration.between(arrival, now);
        metrics.delivery(transport, r.relay(), r.status(), beforeQmgr, inQmgr, r.connectSetup(), r.transmission());
        List<String> delays = List.of(delay(beforeQmgr), delay(inQmgr), delay(r.connectSetup()), delay(r.transmission()));
        String origTo = original == null || original.equalsIgnoreCase(r.recipient().toString()) ? null : original;
        String text = queueId + ": to=<" + r.recipient() + ">" + (origTo == null ? "" : ", orig_to=<" + origTo + ">")
                + ", relay=" + r.relay()
                + (r.connectionUse() > 1 ? ", conn_use=" + r.connectionUse() : "")
                + ", delay=" + delay(total)
                + ", delays=" + String.join("/", delays)
                + ", dsn=" + r.dsn() + ", status=" + r.status() + " (" + r.diagnostic() + ")";
        line(LogRecord.Severity.INFO, program, text, () -> fields("event", "delivery", "queue_id", queueId,
                "to", r.recipient().toString(), "orig_to", origTo, "relay", r.relay(),
                "conn_use", r.connectionUse() > 1 ? r.connectionUse() : null, "delay", new Json.Literal(delay(total)),
                "delays", delays.stream().map(Json.Literal::new).toList(), "dsn", r.dsn(), "status", r.status(),
                "diagnostic", r.diagnostic()));
    }

    /**
     * Postfix's delay format (log_adhoc.c): 100 s and above as an integer; below, at most two
     * significant digits with at most two decimals and trailing zeros dropped ("0.38", "8.6", "25", "0").
     */
    public static String delay(Duration d) {
        long micros = Math.max(0, d.toNanos() / 1000);
        if (micros >= 10_000_000) {
            return Long.toString(micros / 1_000_000);
        }
        // Two significant digits, at most two decimals, truncated, trailing zeros dropped.
        long hundredths = micros >= 1_000_000 ? (micros / 100_000) * 10 : micros / 10_000;
        if (hundredths == 0) {
            return "0";
        }
        long whole = hundredths / 100;
        long frac = hundredths % 100;
        if (frac == 0) {
            return Long.toString(whole);
        }
        return whole + "." + (frac % 10 == 0 ? Long.toString(frac / 10) : (frac < 10 ? "0" : "") + frac);
    }

    private static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (keysAndValues[i + 1] != null) {
                m.put((String) keysAndValues[i], keysAndValues[i + 1]);
            }
        }
        return m;
    }

    private static LogRecord record(LogRecord.Severity severity, String service, String text, Map<String, Object> fields) {
        return new LogRecord(System.currentTimeMillis(), severity, service, text, fields);
    }

    /** Fields are built only for JSON: text lines, the default, pay nothing for them. */
    private void line(LogRecord.Severity severity, String service, String text, Supplier<Map<String, Object>> fields) {
        out.write(format.format(record(severity, service, text, format.json() ? fields.get() : Map.of())));
    }
}

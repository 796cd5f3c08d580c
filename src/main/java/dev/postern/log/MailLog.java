package dev.postern.log;

import dev.postern.mail.RecipientResult;
import dev.postern.metrics.Metrics;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The mail log: the only code that formats Postfix-style records, so pflogsumm and friends keep
 * working. Each line is {@code Mmm dd HH:MM:SS host postern/<service>[pid]: text}; the day is
 * space-padded as syslog does (pflogsumm's "-d today" expects that). Thread-safe. Made with the
 * constructor, each line is written and flushed by the caller; made with {@link #async}, as the
 * daemon does, lines go through a dedicated writer so no event loop waits for the disk.
 */
public final class MailLog implements AutoCloseable {
    /** Lines the async writer holds before it counts drops (about 3 MB of typical lines). */
    private static final int ASYNC_CAPACITY = 16_384;

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final LogWriter out;
    private final String hostname;
    private final String syslogName;
    private final long pid = ProcessHandle.current().pid();
    private final ZoneId zone = ZoneId.systemDefault();
    /** Counts the records that are also metrics, so each event counts exactly once. */
    private final Metrics metrics;

    /** Writes and flushes each line in the calling thread. */
    public MailLog(OutputStream out, String hostname, String syslogName) {
        this.out = LogWriter.direct(out);
        this.hostname = hostname;
        this.syslogName = syslogName;
        this.metrics = Metrics.off();
    }

    private MailLog(String hostname, String syslogName, OutputStream out, Metrics metrics) {
        this.hostname = hostname;
        this.syslogName = syslogName;
        this.metrics = metrics;
        this.out = LogWriter.async(out, ASYNC_CAPACITY, n -> format("master",
                "warning: mail log: " + n + " lines dropped because the log could not be written fast enough"));
    }

    /**
     * A log written by its own thread, flushed per batch; callers never block on it. Lines are
     * dropped (and the drops counted in the log) only when the queue of unwritten lines is full.
     */
    public static MailLog async(OutputStream out, String hostname, String syslogName) {
        return new MailLog(hostname, syslogName, out, Metrics.off());
    }

    /** As {@link #async(OutputStream, String, String)}, counting the records in {@code metrics} too. */
    public static MailLog async(OutputStream out, String hostname, String syslogName, Metrics metrics) {
        return new MailLog(hostname, syslogName, out, metrics);
    }

    /** The server's metrics ({@link Metrics#off()} unless postern_metrics_listen is set). */
    public Metrics metrics() {
        return metrics;
    }

    /** Writes what is pending and stops the writer. Lines logged afterwards are lost. */
    @Override
    public void close() {
        out.close();
    }

    public void info(String service, String text) {
        line(service, text);
    }

    public void warning(String service, String text) {
        line(service, "warning: " + text);
    }

    public void connect(String service, String client) {
        metrics.connect();
        info(service, "connect from " + client);
    }

    /** {@code counts} is Postfix's per-command tally, e.g. "ehlo=2 starttls=1 mail=1 ... commands=7". */
    public void disconnect(String service, String client, String counts) {
        metrics.disconnect();
        info(service, "disconnect from " + client + (counts.isEmpty() ? "" : " " + counts));
    }

    public void client(String service, String queueId, String client) {
        metrics.smtpdMessage();
        info(service, queueId + ": client=" + client);
    }

    /** smtpd.c: the queue ID line of an authenticated client ({@code client=..., sasl_method=..., sasl_username=...}). */
    public void client(String service, String queueId, String client, String saslMethod, String saslUsername) {
        info(service, queueId + ": client=" + client + ", sasl_method=" + saslMethod + ", sasl_username=" + saslUsername);
    }

    public void messageId(String queueId, String messageId) {
        metrics.messageCommitted();
        info("cleanup", queueId + ": message-id=" + messageId);
    }

    public void from(String queueId, String sender, long size, int nrcpt) {
        info("qmgr", queueId + ": from=<" + sender + ">, size=" + size + ", nrcpt=" + nrcpt + " (queue active)");
    }

    public void removed(String queueId) {
        metrics.removed();
        info("qmgr", queueId + ": removed");
    }

    /**
     * {@code NOQUEUE: reject: RCPT from host[addr]: 554 5.7.1 <r>: Relay access denied; from=<s> to=<r> proto=ESMTP helo=<h>}.
     * {@code to} may be null (MAIL-stage rejects).
     */
    public void reject(String service, String queueId, String stage, String client, String reply,
                       String from, String to, String proto, String helo) {
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
        info(service, sb.toString());
    }

    /**
     * A delivery record. {@code beforeQmgr} and {@code inQmgr} are the a and b parts of
     * {@code delays=a/b/c/d}; c and d come from the result. {@code conn_use=} only for a reused
     * connection, as Postfix's log_adhoc.c does.
     */
    public void delivery(String service, String queueId, RecipientResult r, Instant arrival, Instant now,
                         Duration beforeQmgr, Duration inQmgr) {
        Duration total = Duration.between(arrival, now);
        metrics.delivery(service, r.relay(), r.status(), beforeQmgr, inQmgr, r.connectSetup(), r.transmission());
        info(service, queueId + ": to=<" + r.recipient() + ">, relay=" + r.relay()
                + (r.connectionUse() > 1 ? ", conn_use=" + r.connectionUse() : "")
                + ", delay=" + delay(total)
                + ", delays=" + delay(beforeQmgr) + "/" + delay(inQmgr) + "/" + delay(r.connectSetup())
                + "/" + delay(r.transmission())
                + ", dsn=" + r.dsn() + ", status=" + r.status() + " (" + r.diagnostic() + ")");
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

    private record Stamp(long second, String text) {
    }

    private volatile Stamp stamp = new Stamp(Long.MIN_VALUE, "");

    /** The syslog time stamp, formatted once per second rather than once per line. */
    private String stamp() {
        long now = System.currentTimeMillis() / 1000;
        Stamp s = stamp;
        if (s.second() != now) {
            s = new Stamp(now, ZonedDateTime.ofInstant(Instant.ofEpochSecond(now), zone).format(STAMP));
            stamp = s;
        }
        return s.text();
    }

    private void line(String service, String text) {
        out.write(format(service, text));
    }

    private byte[] format(String service, String text) {
        String line = stamp() + " " + hostname + " " + syslogName + "/" + service + "[" + pid + "]: " + text + "\n";
        return line.getBytes(StandardCharsets.UTF_8);
    }
}

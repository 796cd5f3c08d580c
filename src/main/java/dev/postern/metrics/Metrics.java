package dev.postern.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The daemon's counters, one instance per server. Every hook is cheap and never blocks: counters
 * and histograms are the Prometheus client's lock-free adders; label children are looked up in a
 * concurrent map. {@link #off()} is the default (postern_metrics_listen empty): every hook returns
 * at once and nothing is allocated. Gauges that cost something (queue sizes, CRL age) are callbacks
 * computed only when scraped, on the scraping thread.
 */
public final class Metrics {
    /** Distinct next hops kept as {@code relay} label values before the rest become "other". */
    static final int RELAY_LABEL_LIMIT = 64;
    /** Logged relay texts whose counter child is remembered; past it, the label lookup is done each time. */
    private static final int DELIVERY_KEY_LIMIT = 4096;
    /** Delivery delays span milliseconds (a local relay) to days (a deferred message). */
    private static final double[] DELAY_BUCKETS = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900,
            3600, 14400, 86400, 432000};

    private static final Metrics OFF = new Metrics(null);

    private final PrometheusRegistry registry;
    private final LabelCap relays = new LabelCap(RELAY_LABEL_LIMIT);
    private final PrometheusTextFormatWriter writer;
    private Counter connects;
    private Counter disconnects;
    private Counter tlsHandshakes;
    private Counter rejects;
    // Label children resolved once: labelValues() builds a list and hashes it on every call.
    private CounterDataPoint[] tlsByResult;
    private CounterDataPoint tlsResumed;
    private CounterDataPoint tlsNew;
    private CounterDataPoint smtpdMessages;
    private final ConcurrentHashMap<String, CounterDataPoint> deliveryChildren = new ConcurrentHashMap<>();
    private Counter cleanupMessages;
    private Counter discarded;
    private Counter deliveries;
    private Counter removed;
    private DistributionDataPoint[] delays;

    private Metrics(PrometheusRegistry registry) {
        this.registry = registry;
        this.writer = registry == null ? null : PrometheusTextFormatWriter.create(); // off loads no client class
        if (registry != null) {
            build();
        }
    }

    /** Counting off: every hook is a no-op. */
    public static Metrics off() {
        return OFF;
    }

    /** A fresh set of counters with its own registry (two servers in one JVM never share). */
    public static Metrics on() {
        return new Metrics(new PrometheusRegistry());
    }

    public boolean enabled() {
        return registry != null;
    }

    private void build() {
        connects = counter("postfix_smtpd_connects_total", "SMTP server connections accepted (connect from lines).");
        disconnects = counter("postfix_smtpd_disconnects_total", "SMTP server connections ended (disconnect from lines).");
        GaugeWithCallback.builder().name("postern_smtpd_connections")
                .help("SMTP server connections open now.")
                .callback(cb -> cb.call(connects.get() - disconnects.get()))
                .register(registry);
        tlsHandshakes = counter("postern_smtpd_tls_handshakes_total",
                "SMTP server TLS handshakes by result: trusted, untrusted, no_cert (anonymous), failed.", "result");
        Counter tlsSessions = counter("postern_smtpd_tls_sessions_total",
                "Successful SMTP server TLS handshakes by whether a cached session was resumed (reused=true|false).",
                "reused");
        rejects = counter("postfix_smtpd_messages_rejected_total",
                "SMTP server rejects (NOQUEUE: reject lines) by reply code, stage (MAIL, RCPT) and restriction.",
                "code", "stage", "restriction");
        smtpdMessages = counter("postfix_smtpd_messages_processed_total",
                "Messages the SMTP server opened a queue file for (client= lines).", "sasl_method").labelValues("");
        tlsByResult = new CounterDataPoint[TlsResult.values().length];
        for (TlsResult r : TlsResult.values()) {
            tlsByResult[r.ordinal()] = tlsHandshakes.labelValues(r.label());
        }
        tlsResumed = tlsSessions.labelValues("true");
        tlsNew = tlsSessions.labelValues("false");
        cleanupMessages = counter("postfix_cleanup_messages_processed_total",
                "Messages committed to the queue by any source: smtpd, sendmail, bounces (message-id= lines).");
        discarded = counter("postern_cleanup_messages_discarded_total",
                "Messages accepted and then discarded by a DISCARD action (access table, header_checks or body_checks), never queued (removed (discarded) lines).");
        deliveries = counter("postern_delivery_status_total",
                "Delivery records (to=<>, status= lines, one per recipient and attempt) by transport, next hop"
                        + " (at most " + RELAY_LABEL_LIMIT + " distinct, then \"other\") and status.",
                "transport", "relay", "status");
        removed = counter("postfix_qmgr_messages_removed_total", "Messages removed from the queue when done.");
        Histogram h = Histogram.builder().name("postfix_smtp_delivery_delay_seconds")
                .help("The four delays= parts of each delivery record: before_queue_manager (a), queue_manager (b),"
                        + " connection_setup (c), transmission (d).")
                .labelNames("stage").classicOnly().classicUpperBounds(DELAY_BUCKETS).withoutExemplars()
                .register(registry);
        delays = new DistributionDataPoint[] {h.labelValues("before_queue_manager"), h.labelValues("queue_manager"),
                h.labelValues("connection_setup"), h.labelValues("transmission")};
    }

    private Counter counter(String name, String help, String... labels) {
        Counter.Builder b = Counter.builder().name(name).help(help);
        if (labels.length > 0) {
            b.labelNames(labels);
        }
        b.withoutExemplars();
        return b.register(registry);
    }

    public void connect() {
        if (registry != null) {
            connects.inc();
        }
    }

    public void disconnect() {
        if (registry != null) {
            disconnects.inc();
        }
    }

    /** One smtpd TLS handshake; {@code resumed} only matters for a successful one. */
    public void tlsHandshake(TlsResult result, boolean resumed) {
        if (registry != null) {
            tlsByResult[result.ordinal()].inc();
            if (result != TlsResult.FAILED) {
                (resumed ? tlsResumed : tlsNew).inc();
            }
        }
    }

    /** {@code restriction}: the restriction that refused (reject_unauth_destination ...), or what else did. */
    public void reject(String stage, int code, String restriction) {
        if (registry != null) {
            rejects.labelValues(Integer.toString(code), stage, restriction).inc();
        }
    }

    public void smtpdMessage() {
        if (registry != null) {
            smtpdMessages.inc();
        }
    }

    public void messageCommitted() {
        if (registry != null) {
            cleanupMessages.inc();
        }
    }

    public void discarded() {
        if (registry != null) {
            discarded.inc();
        }
    }

    public void removed() {
        if (registry != null) {
            removed.inc();
        }
    }

    /**
     * One delivery record. {@code relay} as logged ({@code host[addr]:port} or {@code none}); only
     * the host name becomes a label, capped at {@link #RELAY_LABEL_LIMIT} distinct values.
     */
    public void delivery(String transport, String relay, String status, Duration beforeQmgr, Duration inQmgr,
                         Duration connectSetup, Duration transmission) {
        if (registry == null) {
            return;
        }
        // Keyed by the logged relay text (host[addr]:port): a few distinct values per next hop.
        String key = transport + '\n' + relay + '\n' + status;
        CounterDataPoint child = deliveryChildren.get(key);
        if (child == null) {
            int bracket = relay.indexOf('[');
            String host = relays.of(bracket > 0 ? relay.substring(0, bracket) : relay);
            child = deliveries.labelValues(transport, host, status);
            if (deliveryChildren.size() < DELIVERY_KEY_LIMIT) {
                deliveryChildren.put(key, child);
            }
        }
        child.inc();
        delays[0].observe(seconds(beforeQmgr));
        delays[1].observe(seconds(inQmgr));
        delays[2].observe(seconds(connectSetup));
        delays[3].observe(seconds(transmission));
    }

    private static double seconds(Duration d) {
        return Math.max(0, d.toNanos()) / 1e9;
    }

    /** Messages per queue (incoming, active, deferred, hold, corrupt), counted when scraped. */
    public void queueSizes(Supplier<Map<String, Long>> sizes) {
        if (registry == null) {
            return;
        }
        GaugeWithCallback.builder().name("postern_queue_messages")
                .help("Messages in each queue directory, counted at scrape time.")
                .labelNames("queue")
                .callback(cb -> sizes.get().forEach((q, n) -> cb.call(n, q)))
                .register(registry);
    }

    /** Seconds since the stalest CRL of postern_smtpd_tls_crl_file was issued; absent without one. */
    public void crlAge(Supplier<OptionalDouble> ageSeconds) {
        if (registry == null) {
            return;
        }
        GaugeWithCallback.builder().name("postern_smtpd_tls_crl_age_seconds")
                .help("Seconds since the oldest CRL in postern_smtpd_tls_crl_file was issued (thisUpdate);"
                        + " absent when no CRL file is set or it cannot be read.")
                .callback(cb -> ageSeconds.get().ifPresent(cb::call))
                .register(registry);
    }

    public String contentType() {
        return writer == null ? "text/plain; version=0.0.4; charset=utf-8" : writer.getContentType();
    }

    /** Writes the Prometheus text exposition of everything counted so far. */
    public void scrape(OutputStream out) throws IOException {
        if (registry == null) {
            return;
        }
        writer.write(out, registry.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
    }
}

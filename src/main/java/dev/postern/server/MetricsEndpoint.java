package dev.postern.server;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.metrics.Metrics;
import dev.postern.metrics.MetricsServer;
import dev.postern.queue.Spool;
import dev.postern.tls.TlsServer;
import dev.postern.util.HostPort;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.Supplier;

/**
 * postern_metrics_listen: which {@link Metrics} the server counts with (off when empty, the
 * default) and the HTTP endpoint that serves them, with the scrape-time gauges wired to the spool
 * and the CRL file.
 */
final class MetricsEndpoint {
    static final String PARAM = "postern_metrics_listen";

    private MetricsEndpoint() {}

    /** Metrics.off() when postern_metrics_listen is empty; a bad address is a config error. */
    static Metrics metricsFor(Config c) throws ConfigException {
        if (c.get(PARAM).isBlank()) {
            return Metrics.off();
        }
        address(c);
        return Metrics.on();
    }

    /**
     * Binds the endpoint when metrics are on, else returns null. {@code config} gives the current
     * configuration (it changes on reload) for the CRL file's name.
     */
    static MetricsServer start(Config c, Metrics metrics, Spool spool, Supplier<Config> config)
            throws ConfigException, IOException {
        if (!metrics.enabled()) {
            return null;
        }
        InetSocketAddress address = address(c);
        metrics.queueSizes(() -> queueSizes(spool));
        metrics.crlAge(() -> crlAge(config.get().get("postern_smtpd_tls_crl_file")));
        try {
            return MetricsServer.start(address, metrics);
        } catch (IOException e) {
            throw new IOException(PARAM + ": cannot listen on " + c.get(PARAM) + ": " + e.getMessage(), e);
        }
    }

    private static InetSocketAddress address(Config c) throws ConfigException {
        String value = c.get(PARAM).trim();
        try {
            HostPort hp = HostPort.parse(value);
            if (hp.port() < 0) {
                throw new IllegalArgumentException("no port");
            }
            return new InetSocketAddress(hp.host(), hp.port());
        } catch (IllegalArgumentException e) {
            String origin = c.origin(PARAM);
            int colon = origin.lastIndexOf(':');
            int line = colon < 0 ? 0 : parseLine(origin.substring(colon + 1));
            throw new ConfigException(colon < 0 ? origin : origin.substring(0, colon), line,
                    PARAM + " = " + value + ": " + e.getMessage(),
                    "write host:port, e.g. " + PARAM + " = 127.0.0.1:9925, or leave it empty for no metrics");
        }
    }

    private static int parseLine(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** One readdir per queue, run on the scraping thread; an unreadable queue is left out. */
    private static Map<String, Long> queueSizes(Spool spool) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Spool.Queue q : Spool.Queue.values()) {
            try (Spool.Scan scan = spool.scan(q)) {
                long n = 0;
                while (scan.next() != null) {
                    n++;
                }
                sizes.put(q.name().toLowerCase(Locale.ROOT), n);
            } catch (IOException e) {
                // leave this queue out of the scrape rather than report a wrong zero
            }
        }
        return sizes;
    }

    private static OptionalDouble crlAge(String file) {
        if (file.isBlank()) {
            return OptionalDouble.empty();
        }
        return TlsServer.oldestCrlIssue(Path.of(file))
                .map(t -> OptionalDouble.of(Duration.between(t, Instant.now()).toMillis() / 1000.0))
                .orElse(OptionalDouble.empty());
    }
}

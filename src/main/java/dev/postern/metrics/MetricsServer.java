package dev.postern.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * postern_metrics_listen: serves {@code GET /metrics} in the Prometheus text format. It uses the
 * JDK's own HTTP server on one daemon thread of its own rather than a handler on the SMTP event
 * loops: a scrape counts queue files and reads the CRL file, which must never delay a mail session,
 * and it adds no dependency (the Prometheus client's exporter module would bring the protobuf
 * format too). One thread is plenty for a scraper every few seconds.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer http;
    private final ExecutorService thread;

    private MetricsServer(HttpServer http, ExecutorService thread) {
        this.http = http;
        this.thread = thread;
    }

    /** Binds {@code address} (port 0: any free port, see {@link #address()}) and starts serving. */
    public static MetricsServer start(InetSocketAddress address, Metrics metrics) throws IOException {
        HttpServer http = HttpServer.create(address, 16);
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "metrics-http");
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(thread);
        http.createContext("/", exchange -> handle(exchange, metrics));
        http.start();
        return new MetricsServer(http, thread);
    }

    private static void handle(HttpExchange exchange, Metrics metrics) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/metrics") && !path.equals("/")) {
                send(exchange, 404, "text/plain; charset=utf-8", "Not found: metrics are at /metrics\n");
                return;
            }
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "Method not allowed\n");
                return;
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream(8192);
            metrics.scrape(body);
            exchange.getResponseHeaders().set("Content-Type", metrics.contentType());
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.size());
            try (OutputStream out = exchange.getResponseBody()) {
                body.writeTo(out);
            }
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String text) throws IOException {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, b.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(b);
        }
    }

    /** The bound address (the real port when started with port 0). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    @Override
    public void close() {
        http.stop(0);
        thread.shutdownNow();
    }
}

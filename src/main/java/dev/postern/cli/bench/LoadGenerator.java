package dev.postern.cli.bench;

import dev.postern.cli.SmtpProbe;
import dev.postern.protocol.NettyTransport;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.File;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Drives SMTP submissions: C connections at a time (STARTTLS + client certificate), each sending K
 * messages and followed by the next, until N messages in total ({@link BenchDriver}: every dialogue
 * runs on the Netty event loops, no thread per connection). With a {@code rate} the load is an
 * open loop instead: a new connection every K/rate seconds, whatever the server's speed, at most C
 * open at once (a start that finds all C busy waits for one and is counted {@code late=}): the
 * latencies of two servers compared at the same offered load, not at each one's own saturation.
 * By default one command per round trip (as smtplib and swaks); with {@code pipelining} MAIL, RCPT and DATA go in one write. Latency per message = MAIL sent
 * to the 250 after the final dot; per session = the connection's start (open loop: its scheduled
 * start) to the 221 after QUIT, the time a swaks or smtplib run takes. Uses the OpenSSL provider when available so the generator
 * itself is cheap.
 */
public final class LoadGenerator {
    public record Options(InetSocketAddress server, boolean starttls, File cert, File key, File ca, int concurrency,
                          int messages, int perConnection, int size, String from, String to, boolean pipelining,
                          boolean tlsResume, int ioThreads, double rate) {
        /** One I/O thread per CPU ({@code ioThreads} 0), closed loop ({@code rate} 0). */
        public Options(InetSocketAddress server, boolean starttls, File cert, File key, File ca, int concurrency,
                       int messages, int perConnection, int size, String from, String to, boolean pipelining,
                       boolean tlsResume) {
            this(server, starttls, cert, key, ca, concurrency, messages, perConnection, size, from, to, pipelining,
                    tlsResume, 0, 0);
        }

        /**
         * Netty I/O threads: {@code ioThreads}, or one per CPU (at most one per worker) when 0. The
         * TLS work (handshakes, record encryption) runs on them; with one, a generator at one message
         * per connection kept that thread busy and became the limit before a fast server did.
         */
        int eventLoops() {
            return ioThreads > 0 ? ioThreads
                    : Math.max(1, Math.min(concurrency, Runtime.getRuntime().availableProcessors()));
        }
    }

    /**
     * {@code handshakes}: TLS handshakes made, {@code resumed}: how many of them resumed a session;
     * {@code clientCpuMs}: this process's CPU time (all threads) while the workers ran, or -1 when the
     * platform cannot say. The generator shares the machine with the server it measures: at one
     * message per connection its own TLS handshakes (the client certificate's signature) can cost as
     * much as the server's, which bounds how far apart two servers' msgs/s can be on a busy machine.
     */
    public record Result(int messages, double seconds, double p50, double p95, double p99, int errors, String provider,
                         int handshakes, int resumed, double clientCpuMs, double rate, int late,
                         int sessions, double sessionP50, double sessionP99) {
        public String line() {
            return String.format(Locale.ROOT, "RESULT msgs=%d secs=%.3f msgs_per_s=%.1f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d tls=%s"
                            + " handshakes=%d resumed=%d client_cpu_ms_per_msg=%.3f sessions=%d session_p50_ms=%.2f session_p99_ms=%.2f",
                    messages, seconds, messages / seconds, p50, p95, p99, errors, provider, handshakes, resumed,
                    messages > 0 && clientCpuMs >= 0 ? clientCpuMs / messages : -1.0, sessions, sessionP50, sessionP99)
                    + (rate > 0 ? String.format(Locale.ROOT, " rate=%.1f late=%d", rate, late) : "");
        }
    }

    /** This process's CPU time in milliseconds (user + system, all threads), or -1 when unknown. */
    private static double processCpuMs() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toNanos() / 1e6).orElse(-1.0);
    }

    private LoadGenerator() {}

    public static SslContext clientContext(Options o) throws Exception {
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(provider);
        if (o.ca() != null) { // PKIX once per distinct server chain, see RememberingTrustManager
            b.trustManager(RememberingTrustManager.trusting(dev.postern.tls.Pem.certificates(o.ca().toPath(), "--ca")));
        }
        if (o.cert() != null) { // an RSA key signs through OpenSSL 3's libcrypto, as Postern's smtp client does
            dev.postern.tls.NativeRsaKey.keyManager(b, provider,
                    dev.postern.tls.Pem.privateKey(o.key().toPath(), "--key"),
                    dev.postern.tls.Pem.certificates(o.cert().toPath(), "--cert").toArray(java.security.cert.X509Certificate[]::new));
        }
        SslContext ctx = b.build();
        if (!o.tlsResume() && ctx.sessionContext() instanceof io.netty.handler.ssl.OpenSslSessionContext sc) {
            // smtplib and swaks keep no TLS sessions: with the cache off, OpenSSL never hands a new
            // session to Netty's client cache, so every handshake is a full one.
            sc.setSessionCacheEnabled(false);
        }
        return ctx;
    }

    public static Result run(Options o) throws Exception {
        SslContext ssl = o.starttls() ? clientContext(o) : null;
        EventLoopGroup group = NettyTransport.newGroup(o.eventLoops(), "bench");
        try {
            BenchDriver driver = new BenchDriver(o, ssl, body(o.size()), group);
            double cpu0 = processCpuMs();
            long start = System.nanoTime();
            driver.runToEnd();
            double secs = (System.nanoTime() - start) / 1e9;
            double cpu1 = processCpuMs();
            int n = driver.done();
            long[] l = Arrays.copyOf(driver.latencies, n);
            Arrays.sort(l);
            long[] s = Arrays.copyOf(driver.sessionLatencies, driver.sessionsDone());
            Arrays.sort(s);
            return new Result(n, secs, pct(l, 0.50), pct(l, 0.95), pct(l, 0.99), driver.errors(),
                    ssl == null ? "none" : OpenSsl.isAvailable() ? "OpenSSL" : "JDK", driver.handshakes.get(),
                    driver.resumed.get(), cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0, o.rate(), driver.late(),
                    s.length, pct(s, 0.50), pct(s, 0.99));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /**
     * Opens {@code count} TLS sessions (STARTTLS, certificate, EHLO) from {@code concurrency}
     * threads at once (10,000 one after another take minutes on a busy machine), holds them, then QUITs.
     */
    public static int idleSessions(Options o, int count, long holdSeconds, java.io.PrintWriter out) throws Exception {
        SslContext ssl = clientContext(o);
        EventLoopGroup group = NettyTransport.newGroup(2, "bench-idle");
        List<SmtpProbe> open = java.util.Collections.synchronizedList(new ArrayList<>()); // connected: closed at the end
        AtomicInteger ready = new AtomicInteger(); // TLS sessions up and idle: what open= reports
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger next = new AtomicInteger();
        try {
            List<Thread> openers = new ArrayList<>();
            for (int w = 0; w < Math.max(1, o.concurrency()); w++) {
                Thread t = new Thread(() -> {
                    while (next.getAndIncrement() < count) {
                        try {
                            SmtpProbe c = new SmtpProbe(group, o.server(), 60_000);
                            open.add(c);
                            if (code(c.reply()) != 220 || code(c.command("EHLO idle.example")) != 250
                                    || code(c.command("STARTTLS")) != 220
                                    || c.startTls(ssl, o.server().getHostString(), o.server().getPort()) != null
                                    || code(c.command("EHLO idle.example")) != 250) {
                                failed.incrementAndGet();
                            } else {
                                ready.incrementAndGet();
                            }
                        } catch (Exception e) {
                            failed.incrementAndGet();
                        }
                    }
                }, "bench-idle-" + w);
                openers.add(t);
                t.start();
            }
            for (Thread t : openers) {
                t.join();
            }
            // Not open.size() - failed: a connection refused fails before it is in open (open=-2).
            out.println("IDLE open=" + ready.get() + " failed=" + failed.get());
            out.flush();
            Thread.sleep(holdSeconds * 1000);
        } finally {
            synchronized (open) {
                for (SmtpProbe c : open) {
                    c.send("QUIT\r\n");
                    c.close();
                }
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
        return failed.get();
    }

    private static int code(String reply) {
        return SmtpProbe.code(reply);
    }

    private static String body(int size) {
        StringBuilder sb = new StringBuilder("From: bench@example.org\r\nTo: sink@example.org\r\nSubject: bench\r\n\r\n");
        String line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\n";
        while (sb.length() < size) {
            sb.append(line);
        }
        return sb.toString();
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
        return sorted[Math.max(0, i)] / 1e6;
    }
}

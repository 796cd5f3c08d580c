package dev.postern.smtp;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Idle SMTP connections kept for the next message to the same next hop and TLS policy, like
 * Postfix's smtp connection cache (smtp_connection_cache_time_limit = 2s): a queue that is
 * draining to one smarthost then pays for the connection, greeting, EHLO and TLS handshake once.
 * Connections idle longer than the limit are closed with QUIT, and so are connections opened longer
 * ago than smtp_connection_reuse_time_limit or reused smtp_connection_reuse_count_limit times: a
 * long-lived connection would otherwise pin all mail to one server of a next hop forever.
 */
final class ConnectionCache implements AutoCloseable {
    /** {@code uses}: transactions done on the connection so far (Postfix's reuse_count + 1). */
    record Idle(SmtpConnection connection, String relay, List<String> capabilities, int uses, long since) {
    }

    private final long limitNanos;
    private final long reuseTimeNanos;
    private final int reuseCountLimit;
    private final Map<String, ConcurrentLinkedDeque<Idle>> idle = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "smtp-cache");
        t.setDaemon(true);
        return t;
    });

    ConnectionCache(java.time.Duration limit, java.time.Duration reuseTimeLimit, int reuseCountLimit) {
        this.limitNanos = limit.toNanos();
        this.reuseTimeNanos = reuseTimeLimit.toNanos();
        this.reuseCountLimit = reuseCountLimit;
        reaper.scheduleWithFixedDelay(this::expire, 1, 1, TimeUnit.SECONDS);
    }

    Idle take(String key) {
        ConcurrentLinkedDeque<Idle> q = idle.get(key);
        if (q == null) {
            return null;
        }
        Idle i;
        while ((i = q.pollLast()) != null) {
            // A connection the server closed, or spoke on unasked, cannot take a transaction.
            if (System.nanoTime() - i.since() < limitNanos && i.connection().idle()) {
                return i;
            }
            quit(i);
        }
        return null;
    }

    private volatile boolean closed;

    void put(String key, SmtpConnection c, String relay, List<String> caps, int uses) {
        boolean worn = System.nanoTime() - c.opened() >= reuseTimeNanos || (reuseCountLimit > 0 && uses > reuseCountLimit);
        if (limitNanos <= 0 || worn || closed) {
            quit(new Idle(c, relay, caps, uses, 0));
            return;
        }
        idle.computeIfAbsent(key, k -> new ConcurrentLinkedDeque<>()).addLast(new Idle(c, relay, caps, uses, System.nanoTime()));
        if (closed) { // closed meanwhile: close() may have missed it
            close();
        }
    }

    private void expire() {
        long now = System.nanoTime();
        for (ConcurrentLinkedDeque<Idle> q : idle.values()) {
            for (Idle i : q) {
                if (now - i.since() >= limitNanos && q.remove(i)) {
                    quit(i);
                }
            }
        }
    }

    private static void quit(Idle i) {
        try {
            i.connection().send("QUIT\r\n");
        } catch (Exception ignored) {
            // closing anyway
        }
        i.connection().close();
    }

    @Override
    public void close() {
        closed = true; // a delivery that ends after this closes its connection instead of caching it
        reaper.shutdownNow();
        for (ConcurrentLinkedDeque<Idle> q : idle.values()) {
            Idle i;
            while ((i = q.poll()) != null) {
                quit(i);
            }
        }
    }
}

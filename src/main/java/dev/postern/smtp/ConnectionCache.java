package dev.postern.smtp;

import dev.postern.util.DemandTimer;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;

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
    private final java.util.concurrent.ScheduledThreadPoolExecutor reaper = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "smtp-cache");
        t.setDaemon(true);
        return t;
    });
    /** Sweeps once a second while connections are cached, not at all while none are. */
    private final DemandTimer sweeps = new DemandTimer(reaper, java.time.Duration.ofSeconds(1), this::expire);

    ConnectionCache(java.time.Duration limit, java.time.Duration reuseTimeLimit, int reuseCountLimit) {
        this.limitNanos = limit.toNanos();
        this.reuseTimeNanos = reuseTimeLimit.toNanos();
        this.reuseCountLimit = reuseCountLimit;
        // Started now, not at the first cached connection: one per client, alive until it closes
        // (tests see a client's life by it). It waits without a timeout while nothing is cached.
        reaper.prestartCoreThread();
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
        sweeps.demand();
        if (closed) { // closed meanwhile: close() may have missed it
            close();
        }
    }

    /** Closes the connections idle past the limit; true while any are left. */
    private boolean expire() {
        long now = System.nanoTime();
        boolean left = false;
        for (ConcurrentLinkedDeque<Idle> q : idle.values()) {
            for (Idle i : q) {
                if (now - i.since() >= limitNanos && q.remove(i)) {
                    quit(i);
                } else {
                    left = true;
                }
            }
        }
        return left;
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

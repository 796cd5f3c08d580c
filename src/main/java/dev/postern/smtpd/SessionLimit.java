package dev.postern.smtpd;

import dev.postern.log.MailLog;
import io.netty.channel.Channel;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process limit of one master.cf smtpd service (its maxproc column, "-" meaning
 * default_process_limit), shared by all the addresses the service listens on. Postfix's master
 * stops accepting on a service's sockets when all its smtpd processes are busy, so new clients
 * wait in the kernel's listen backlog rather than being refused; this does the same by pausing
 * the accept loop of every listener of the service while the limit is reached, and resuming as
 * soon as a session ends. Limit 0 means no limit, as in master.cf.
 *
 * <p>{@link #open()} is called on the acceptor's event loop as each connection is accepted (see
 * Smtpd's AcceptCounter), which stops Netty's accept loop before the next accept. Should a
 * connection still get past the limit, {@link #open()} returns false and the session answers
 * {@code 421 4.3.2} rather than serving more than the limit.
 */
public final class SessionLimit {
    /** Postfix's master_avail.c warns at most once per 1000 s per service. */
    private static final long WARN_INTERVAL_MILLIS = 1_000_000;

    private final String service;
    private volatile int limit;
    private final MailLog log;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong lastWarning = new AtomicLong(Long.MIN_VALUE / 2);
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> stressListeners = new CopyOnWriteArrayList<>();

    public SessionLimit(String service, int limit, MailLog log) {
        if (limit < 0) {
            throw new IllegalArgumentException("process limit must be 0 (unlimited) or more, not " + limit);
        }
        this.service = service;
        this.limit = limit;
        this.log = log;
    }

    public static SessionLimit unlimited(String service, MailLog log) {
        return new SessionLimit(service, 0, log);
    }

    public int limit() {
        return limit;
    }

    public int active() {
        return active.get();
    }

    /**
     * Reload: a changed maxproc applies at once. Sessions already open keep counting; if there are
     * more than the new limit, none is cut, but no new one starts until enough have ended.
     */
    public void setLimit(int newLimit) {
        if (newLimit < 0) {
            throw new IllegalArgumentException("process limit must be 0 (unlimited) or more, not " + newLimit);
        }
        limit = newLimit;
        listeners.forEach(this::resume);
    }

    /** A listener stops counting here (closed, or moved to another service by a reload). */
    void stopListening(Channel serverChannel) {
        listeners.remove(serverChannel);
    }

    /** Accepting again, if the limit allows (after an accept error's pause, or a reload). */
    void resume(Channel serverChannel) {
        int l = limit;
        serverChannel.config().setAutoRead(l == 0 || active.get() < l);
    }

    void listening(Channel serverChannel) {
        listeners.add(serverChannel);
        if (limit > 0 && active.get() >= limit) {
            serverChannel.config().setAutoRead(false);
        }
    }

    /**
     * Postfix's stress: all of the service's sessions are in use, so new clients wait. Sessions
     * then get the stress values of smtpd_timeout and the error limits ({@link SmtpdSettings.Stress}).
     */
    public boolean stressed() {
        int l = limit;
        return l > 0 && active.get() >= l;
    }

    /** Called (on the accepting thread) each time the service comes under stress. */
    void onStress(Runnable r) {
        stressListeners.add(r);
    }

    /** A session starts; false when it is over the limit (taken by the accept loop before it paused). */
    boolean open() {
        int n = active.incrementAndGet();
        int limit = this.limit;
        if (limit == 0) {
            return true;
        }
        if (n >= limit) {
            listeners.forEach(ch -> ch.config().setAutoRead(false));
            warn();
            if (n == limit) {
                stressListeners.forEach(Runnable::run);
            }
        }
        return n <= limit;
    }

    /** A session ended (every {@link #open()} is paired with one call, whatever it returned). */
    void close() {
        int n = active.decrementAndGet();
        int limit = this.limit;
        if (limit > 0 && n < limit) {
            listeners.forEach(ch -> ch.config().setAutoRead(true));
        }
    }

    private void warn() {
        long now = System.currentTimeMillis();
        long last = lastWarning.get();
        if (now - last >= WARN_INTERVAL_MILLIS && lastWarning.compareAndSet(last, now)) {
            log.warning("master", "service \"" + service + "\" (" + service + ") has reached its process limit \""
                    + limit + "\": new clients may experience noticeable delays");
            log.warning("master", "to avoid this condition, increase the process count in master.cf or reduce the"
                    + " service time per client");
        }
    }
}

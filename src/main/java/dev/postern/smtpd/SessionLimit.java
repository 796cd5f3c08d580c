package dev.postern.smtpd;

import dev.postern.log.MailLog;
import io.netty.channel.Channel;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The process limit of one master.cf smtpd service (its maxproc column, "-" meaning
 * default_process_limit), shared by all the addresses the service listens on. Limit 0 means no
 * limit, as in master.cf.
 *
 * <p>Postfix's master stops accepting when all of a service's smtpd processes are busy, so new
 * clients wait in the listen backlog; a process is held by whoever has it, idle or not, so enough
 * idle clients keep everyone else out (the listen backlog fills with more of them). A Postern
 * session costs a few KiB, not a process, which allows better (postern_smtpd_idle_eviction_time,
 * default 1 s; 0 restores Postfix's behaviour exactly):
 * <ul>
 * <li>a connection is accepted and greeted at once, and takes one of the limit's sessions only with
 *     its first command (or TLS record, on an implicit-TLS port: the first plaintext line). Until
 *     then it is <em>waiting</em>: at most postern_smtpd_waiting_client_limit of those; when they
 *     are all there, the one silent the longest (for at least the eviction time) is closed for the
 *     newcomer, and if none has been silent that long, accepting pauses (the backlog again) until
 *     one has;</li>
 * <li>a first command while all sessions are taken goes to the session that has waited the longest
 *     for its client's next command (at least the eviction time; never one in DATA or committing a
 *     message): that session is told 421 4.4.2 and closed. If no session qualifies, the command
 *     waits, input paused, until one does or a session ends (first come, first served).</li>
 * </ul>
 * So idle clients, however many, cost the active ones nothing but a short wait, and legitimate
 * mail goes on; the service is under Postfix's stress ({@link #stressed()}) while all its sessions
 * are taken.
 *
 * <p>Bookkeeping runs under this object's lock (first commands, closes, and accepts at the limit:
 * cheap and rare compared with commands); each connection's idle state is a lock-free
 * {@link Slot} its session updates on its own event loop, so an eviction and a command arriving at
 * the same moment cannot both win.
 */
public final class SessionLimit {
    /** Postfix's master_avail.c warns at most once per 1000 s per service. */
    private static final long WARN_INTERVAL_MILLIS = 1_000_000;
    private static final long EPOCH = System.nanoTime();

    private final String service;
    private final MailLog log;
    private volatile int limit;
    private volatile long evictAfterNanos;
    private volatile int waitingLimit;
    private final AtomicLong lastWarning = new AtomicLong(Long.MIN_VALUE / 2);
    private final List<Channel> listeners = new CopyOnWriteArrayList<>();
    private final List<Runnable> stressListeners = new CopyOnWriteArrayList<>();

    // Written under this object's lock; engaged is read without it by stressed() (every read of
    // every session asks, so it must not take the lock).
    private volatile int engaged;
    private int waiting;
    private final Set<Slot> engagedSlots = new HashSet<>();
    private final Set<Slot> waitingSlots = new HashSet<>();
    private final ArrayDeque<Slot> parked = new ArrayDeque<>();
    private boolean acceptPaused;
    private boolean recheckScheduled;

    public SessionLimit(String service, int limit, MailLog log) {
        this(service, limit, Duration.ZERO, 0, log);
    }

    /**
     * @param evictAfter postern_smtpd_idle_eviction_time (zero: Postfix's backlog behaviour)
     * @param waitingLimit postern_smtpd_waiting_client_limit
     */
    public SessionLimit(String service, int limit, Duration evictAfter, int waitingLimit, MailLog log) {
        this.service = service;
        this.log = log;
        set(limit, evictAfter, waitingLimit);
    }

    public static SessionLimit unlimited(String service, MailLog log) {
        return new SessionLimit(service, 0, log);
    }

    public int limit() {
        return limit;
    }

    /** The master.cf service name. */
    public String service() {
        return service;
    }

    /** Sessions open: those holding one of the limit's places and those waiting for one. */
    public synchronized int active() {
        return engaged + waiting;
    }

    /**
     * Reload: changed values apply at once. Sessions already open keep counting; if there are more
     * than the new limit, none is cut, but no new one starts until enough have ended.
     */
    public void setLimit(int newLimit, Duration evictAfter, int newWaitingLimit) {
        synchronized (this) {
            set(newLimit, evictAfter, newWaitingLimit);
            promoteParked();
            updateAccepting();
        }
    }

    public void setLimit(int newLimit) {
        setLimit(newLimit, Duration.ofNanos(evictAfterNanos), waitingLimit);
    }

    private void set(int newLimit, Duration evictAfter, int newWaitingLimit) {
        if (newLimit < 0) {
            throw new IllegalArgumentException("process limit must be 0 (unlimited) or more, not " + newLimit);
        }
        limit = newLimit;
        evictAfterNanos = evictAfter.toNanos();
        waitingLimit = Math.max(1, newWaitingLimit);
    }

    private boolean evicting() {
        return evictAfterNanos > 0 && limit > 0;
    }

    /** A listener stops counting here (closed, or moved to another service by a reload). */
    synchronized void stopListening(Channel serverChannel) {
        listeners.remove(serverChannel);
    }

    /** Accepting again, if the limit allows (after an accept error's pause, or a reload). */
    synchronized void resume(Channel serverChannel) {
        serverChannel.config().setAutoRead(!acceptPaused);
    }

    synchronized void listening(Channel serverChannel) {
        listeners.add(serverChannel);
        if (acceptPaused) {
            serverChannel.config().setAutoRead(false);
        }
    }

    /**
     * Postfix's stress: all of the service's sessions are in use. Sessions then get the stress
     * values of smtpd_timeout and the error limits ({@link SmtpdSettings.Stress}).
     */
    public boolean stressed() {
        int l = limit;
        return l > 0 && engaged >= l;
    }

    /** Called (on the thread that takes the last place) each time the service comes under stress. */
    void onStress(Runnable r) {
        stressListeners.add(r);
    }

    /**
     * A connection was accepted (on the acceptor's event loop, so that pausing the accept loop
     * takes effect before the next accept). Returns its slot, {@link Slot#refused()} when it is
     * over the limit (taken by the accept loop just before it paused: the session answers 421 4.3.2).
     */
    Slot open(Channel channel) {
        Slot slot = new Slot(channel, this);
        boolean stress = false;
        synchronized (this) {
            if (!evicting()) { // Postfix: the session is taken at accept
                engaged++;
                slot.where = Slot.ENGAGED;
                engagedSlots.add(slot);
                if (limit > 0 && engaged > limit) {
                    updateAccepting();
                    slot.refused = true;
                    return slot; // close() still pairs with this open
                }
                stress = limit > 0 && engaged == limit;
            } else {
                if (waiting >= waitingLimit) {
                    Slot victim = longestIdle(waitingSlots);
                    if (victim != null) {
                        victim.where = Slot.GONE;
                        waitingSlots.remove(victim);
                        waiting--;
                        victim.evict();
                    }
                }
                waiting++;
                slot.where = Slot.WAITING;
                waitingSlots.add(slot);
            }
            updateAccepting();
        }
        if (stress) {
            underStress();
        }
        return slot;
    }

    /** How {@link #engage} ended. */
    enum Engaged { NOW, PARKED }

    /**
     * The session's first command (called on its event loop): it takes a place now (perhaps the
     * place of an idle session, which is evicted), or is parked and {@code whenEngaged} runs (on
     * no particular thread) once it has one.
     */
    Engaged engage(Slot slot, Runnable whenEngaged) {
        boolean stress = false;
        synchronized (this) {
            if (slot.where != Slot.WAITING || slot.parked) {
                return slot.parked ? Engaged.PARKED : Engaged.NOW;
            }
            int l = limit;
            if (l == 0 || engaged < l) {
                take(slot);
                stress = l > 0 && engaged == l;
            } else if (!takeFromIdle(slot)) {
                slot.parked = true;
                slot.whenEngaged = whenEngaged;
                parked.add(slot);
                warn();
                return Engaged.PARKED;
            }
        }
        if (stress) {
            underStress();
        }
        return Engaged.NOW;
    }

    /**
     * A parked session asks again (its event loop polls while parked): a session may have become
     * idle for long enough since. True when it now has a place.
     */
    boolean retry(Slot slot) {
        synchronized (this) {
            if (!slot.parked) {
                return slot.where == Slot.ENGAGED;
            }
            if (parked.peek() != slot) {
                return false; // first come, first served
            }
            int l = limit;
            if ((l == 0 || engaged < l) || takeFromIdle(slot)) {
                if (slot.where == Slot.WAITING) {
                    take(slot); // a place was free (reload raised the limit)
                }
                parked.poll();
                slot.parked = false;
                slot.whenEngaged = null;
                return true;
            }
            return false;
        }
    }

    /** The parked sessions' poll interval: a quarter of the eviction time, at most 250 ms. */
    long retryMillis() {
        long evictMillis = TimeUnit.NANOSECONDS.toMillis(evictAfterNanos);
        return evictMillis == 0 ? 250 : Math.max(10, Math.min(250, evictMillis / 4));
    }

    private void take(Slot slot) {
        waitingSlots.remove(slot);
        waiting--;
        engaged++;
        slot.where = Slot.ENGAGED;
        engagedSlots.add(slot);
        updateAccepting();
    }

    /** Gives {@code slot} the place of the longest-idle session, if one qualifies. Under the lock. */
    private boolean takeFromIdle(Slot slot) {
        if (!evicting()) {
            return false;
        }
        Slot victim = longestIdle(engagedSlots);
        if (victim == null) {
            return false;
        }
        engagedSlots.remove(victim);
        victim.where = Slot.GONE;
        victim.evict();
        waitingSlots.remove(slot);
        waiting--;
        slot.where = Slot.ENGAGED;
        engagedSlots.add(slot);
        updateAccepting();
        return true;
    }

    /** The slot idle the longest, for at least the eviction time, claimed for eviction; or null. */
    private Slot longestIdle(Set<Slot> among) {
        if (!evicting()) {
            return null;
        }
        long now = Slot.now();
        while (true) {
            Slot best = null;
            long bestSince = Long.MAX_VALUE;
            for (Slot s : among) {
                long since = s.state.get();
                if (evictable(s, since, now) && since < bestSince) {
                    best = s;
                    bestSince = since;
                }
            }
            if (best == null) {
                return null;
            }
            if (best.state.compareAndSet(bestSince, Slot.EVICTED)) {
                return best;
            }
            // It just became busy (a command arrived): look again.
        }
    }

    /** A connection ended (every {@link #open} is paired with one call, whatever it returned). */
    void close(Slot slot) {
        synchronized (this) {
            switch (slot.where) {
                case Slot.ENGAGED -> {
                    engagedSlots.remove(slot);
                    engaged--;
                    promoteParked();
                }
                case Slot.WAITING -> {
                    waitingSlots.remove(slot);
                    waiting--;
                    if (slot.parked) {
                        parked.remove(slot);
                        slot.parked = false;
                    }
                }
                default -> {
                    // evicted: its place went to another session already
                }
            }
            slot.where = Slot.GONE;
            updateAccepting();
        }
    }

    /** Places are free: the parked sessions get them in order. Under the lock. */
    private void promoteParked() {
        int l = limit;
        while (!parked.isEmpty() && (l == 0 || engaged < l)) {
            Slot next = parked.poll();
            next.parked = false;
            take(next);
            Runnable r = next.whenEngaged;
            next.whenEngaged = null;
            if (r != null) {
                r.run(); // only schedules on the session's event loop
            }
        }
    }

    /**
     * Pauses or resumes the accept loops. Under the lock. Without eviction: paused while all places
     * are taken. With eviction: paused while the waiting clients are at their limit and none of
     * them has been silent long enough to make room; a timer then looks again ({@link #recheck}).
     */
    private void updateAccepting() {
        boolean pause;
        if (!evicting()) {
            int l = limit;
            pause = l > 0 && engaged >= l;
            if (pause) {
                warn();
            }
        } else {
            pause = waiting >= waitingLimit && !anyIdle(waitingSlots);
            if (pause && !recheckScheduled && !listeners.isEmpty()) {
                try {
                    listeners.get(0).eventLoop().schedule(this::recheck, retryMillis(), TimeUnit.MILLISECONDS);
                    recheckScheduled = true;
                } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                    // the server is stopping: nothing to resume
                }
            }
        }
        if (pause != acceptPaused) {
            acceptPaused = pause;
            listeners.forEach(ch -> ch.config().setAutoRead(!pause));
        }
    }

    private synchronized void recheck() {
        recheckScheduled = false;
        updateAccepting();
    }

    private boolean anyIdle(Set<Slot> among) {
        long now = Slot.now();
        for (Slot s : among) {
            if (evictable(s, s.state.get(), now)) {
                return true;
            }
        }
        return false;
    }

    /** Idle (state {@code since} > 0: waiting for its client since then) for the eviction time, and not parked. */
    private boolean evictable(Slot s, long since, long now) {
        return since > 0 && !s.parked && now - since >= evictAfterNanos;
    }

    private void underStress() {
        warn();
        stressListeners.forEach(Runnable::run);
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

    /** The event a session receives when its place was given to another client (see {@link SmtpSession}). */
    static final Object EVICT = new Object() {
        @Override
        public String toString() {
            return "EVICT";
        }
    };

    /**
     * One connection's place in the limit, and whether it is idle: waiting for its client's next
     * command since some time (evictable once that is old enough), busy, or evicted. The session
     * marks itself busy when input arrives ({@link #busy()}: false once evicted, so the input is
     * dropped) and idle when it has answered and waits again ({@link #idle()}).
     */
    static final class Slot {
        static final int WAITING = 0;
        static final int ENGAGED = 1;
        static final int GONE = 2;
        private static final long BUSY = 0;
        private static final long EVICTED = -1;

        final Channel channel;
        final SessionLimit limit;
        private boolean refused;
        /** {@code > 0}: idle since (nanoseconds from EPOCH, plus one); BUSY; EVICTED. */
        private final AtomicLong state = new AtomicLong(now());
        // Guarded by the SessionLimit's lock.
        private int where = WAITING;
        private boolean parked;
        private Runnable whenEngaged;

        Slot(Channel channel, SessionLimit limit) {
            this.channel = channel;
            this.limit = limit;
        }

        /** Over the limit at accept (Postfix's behaviour only): to be answered 421 4.3.2 and closed. */
        boolean refused() {
            return refused;
        }

        static long now() {
            return System.nanoTime() - EPOCH + 1;
        }

        /** Input arrived. False when the session has been evicted (the input is to be dropped). */
        boolean busy() {
            while (true) {
                long s = state.get();
                if (s == EVICTED) {
                    return false;
                }
                if (s == BUSY || state.compareAndSet(s, BUSY)) {
                    return true;
                }
            }
        }

        /** The session waits for its client's next command from now on. */
        void idle() {
            long s = state.get();
            if (s != EVICTED) {
                state.compareAndSet(s, now());
            }
        }

        boolean evicted() {
            return state.get() == EVICTED;
        }

        /** Hands the eviction to the session's event loop (called under the limit's lock). */
        private void evict() {
            try {
                channel.eventLoop().execute(() -> {
                    if (channel.pipeline().get(SmtpSession.class) == null) {
                        channel.close(); // no session yet (PROXY header): nothing to say
                    } else {
                        channel.pipeline().fireUserEventTriggered(EVICT);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                // the server is stopping: the connection is closed with its event loop
            }
        }
    }
}

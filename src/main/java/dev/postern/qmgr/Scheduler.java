package dev.postern.qmgr;

import dev.postern.mail.RecipientResult;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Who gets the next delivery slot (Postfix qmgr's transport and queue structures, simplified).
 * One FIFO of jobs per destination (transport + next hop); at most the transport's
 * destination concurrency limit in progress per destination, at most the transport's master.cf
 * maxproc through each transport (over all its destinations), and default_process_limit in all;
 * destinations take turns (round robin) so a busy or slow one cannot starve the others. A
 * destination whose deliveries fail at the connection level is marked dead until a given time:
 * its queued jobs are handed back for deferral ("delivery temporarily suspended") and new ones
 * are refused, so its mail waits without taking slots. Thread-safe (one lock).
 */
final class Scheduler {
    record Key(String transport, String nexthop) {
    }

    /** A dead destination's reason, given back for the jobs it refuses. */
    record Suspension(RecipientResult cause) {
    }

    /**
     * One transport's deliveries in progress over all its destinations, and its destinations that
     * have jobs but found the transport at its maxproc: they wait here, out of the ready ring, so
     * a capped transport's backlog costs the round robin nothing until one of its deliveries ends
     * (Postfix's qmgr likewise stops selecting a transport whose delivery agents are all busy,
     * qmgr_transport_select, while other transports go on).
     */
    private static final class TransportSlots {
        final String name;
        final ArrayDeque<Destination> parked = new ArrayDeque<>();
        int active;

        TransportSlots(String name) {
            this.name = name;
        }
    }

    private static final class Destination {
        final Key key;
        final TransportSlots transport;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();
        int active;
        int failuresSinceSuccess;
        Instant deadUntil = Instant.MIN;
        RecipientResult deadCause;
        /** In {@code ready} or parked at its transport: either way it is not added to {@code ready} again. */
        boolean inReady;

        Destination(Key key, TransportSlots transport) {
            this.key = key;
            this.transport = transport;
        }
    }

    /**
     * Failures in a row (no success between) that mark a destination down even while other
     * deliveries to it are still in progress: Postfix's initial_destination_concurrency (5) with
     * destination_concurrency_failed_cohort_limit 1, i.e. one failed window of five.
     */
    static final int FAILED_COHORT = 5;

    private final Map<Key, Destination> destinations = new HashMap<>();
    /**
     * By transport name, never dropped: a destination holds its transport's counter, so a second
     * one for the same name would split the count. Bounded by the transports routes may name (qmgr
     * queues jobs only for transports it has).
     */
    private final Map<String, TransportSlots> transports = new HashMap<>();
    private final ArrayDeque<Destination> ready = new ArrayDeque<>();
    private final ToIntFunction<String> concurrencyFor;
    private final ToIntFunction<String> transportLimitFor;
    private int processLimit; // guarded by this: a reload may change it (setProcessLimit)
    private int running;

    /** Without per-transport caps (no master.cf maxproc): only the destination and process limits. */
    Scheduler(ToIntFunction<String> concurrencyFor, int processLimit) {
        this(concurrencyFor, transport -> Integer.MAX_VALUE, processLimit);
    }

    /**
     * {@code transportLimitFor}: the most deliveries at once through a transport (its maxproc;
     * {@link Integer#MAX_VALUE} for none), read at each start as {@code concurrencyFor} is, so a
     * reload's new value applies to the next delivery started.
     */
    Scheduler(ToIntFunction<String> concurrencyFor, ToIntFunction<String> transportLimitFor, int processLimit) {
        this.concurrencyFor = concurrencyFor;
        this.transportLimitFor = transportLimitFor;
        this.processLimit = processLimit;
    }

    /**
     * A reload's new default_process_limit: a higher one lets more deliveries start at once; a
     * lower one starts none until those in progress are below it (none is interrupted). The
     * reload may also have raised or removed a transport's maxproc: destinations parked at their
     * transport go back to the ready ring, to be checked against the new cap at the next
     * {@link #takeRunnable} (otherwise they would wait for one of the transport's deliveries to end).
     */
    synchronized void setProcessLimit(int limit) {
        processLimit = limit;
        for (TransportSlots t : transports.values()) {
            unpark(t);
        }
    }

    /** Queues a job; when its destination is dead, refuses it and says why (the caller defers it). */
    synchronized Suspension add(Job job, Instant now) {
        Destination d = destinations.computeIfAbsent(job.destination(),
                k -> new Destination(k, transports.computeIfAbsent(k.transport(), TransportSlots::new)));
        if (d.deadUntil.isAfter(now)) {
            return new Suspension(d.deadCause);
        }
        if (d.deadCause != null) {
            // Dead time is over: this job probes the destination again.
            d.deadCause = null;
            d.failuresSinceSuccess = 0;
        }
        d.jobs.addLast(job);
        if (!d.inReady) {
            d.inReady = true;
            ready.addLast(d);
        }
        return null;
    }

    /** Jobs that may start now, in round-robin order over destinations; each holds a slot until {@link #finished}. */
    synchronized List<Job> takeRunnable() {
        List<Job> out = new ArrayList<>();
        int idle = 0;
        while (running < processLimit && idle < ready.size()) {
            Destination d = ready.pollFirst();
            if (d.jobs.isEmpty()) {
                d.inReady = false;
                forgetIfIdle(d);
                continue;
            }
            if (d.transport.active >= transportLimit(d.transport)) {
                // The transport is at its maxproc: wait, parked, for one of its deliveries to end
                // (finished). Leaving the ring also ends this loop when only such destinations remain.
                d.transport.parked.addLast(d);
                continue;
            }
            if (d.active < limit(d)) {
                out.add(d.jobs.pollFirst());
                d.active++;
                d.transport.active++;
                running++;
                idle = 0;
            } else {
                idle++;
            }
            if (d.jobs.isEmpty()) {
                d.inReady = false;
            } else {
                ready.addLast(d);
            }
        }
        return out;
    }

    /**
     * A job's delivery ended. {@code siteFailure} (null when the destination answered) marks the
     * destination dead until {@code deadUntil} once no other delivery to it is in progress or
     * {@link #FAILED_COHORT} (at most its concurrency) failed in a row. Returns null when the destination is not (newly) dead,
     * else the jobs it still queued, for deferral (possibly none).
     */
    synchronized List<Job> finished(Job job, RecipientResult siteFailure, Instant deadUntil) {
        Destination d = destinations.get(job.destination());
        running--;
        TransportSlots t = transports.get(job.destination().transport());
        if (t != null) {
            t.active--;
            unparkForFreeSlots(t);
        }
        if (d == null) {
            return null;
        }
        d.active--;
        List<Job> suspended = null;
        if (siteFailure == null) {
            d.failuresSinceSuccess = 0;
        } else if (d.deadCause == null && (++d.failuresSinceSuccess >= Math.min(limit(d), FAILED_COHORT) || d.active == 0)) {
            d.deadUntil = deadUntil;
            d.deadCause = siteFailure;
            suspended = new ArrayList<>(d.jobs);
            d.jobs.clear();
        }
        forgetIfIdle(d);
        return suspended;
    }

    /**
     * The destination's concurrency limit as the settings say now. Read at each use, not kept with
     * the destination: a limit taken when the destination was created stayed in force, after a
     * reload had changed {@code <transport>_destination_concurrency_limit} or
     * default_destination_concurrency_limit, for as long as the destination had mail queued or in
     * progress, which for a busy one is until the queue drains (Postfix's qmgr rereads the limits
     * when it restarts on reload). Deliveries already in progress above a lowered limit finish; no
     * new one starts until fewer than the new limit are in progress.
     */
    private int limit(Destination d) {
        return concurrencyFor.applyAsInt(d.key.transport());
    }

    /** The transport's maxproc as the settings say now (read at each use, as {@link #limit}). */
    private int transportLimit(TransportSlots t) {
        return transportLimitFor.applyAsInt(t.name);
    }

    /**
     * The transport's parked destinations back to the end of the ready ring, in the order they
     * were parked: all of them, as one that is given a slot back may have no job left (a dead
     * destination's are handed back for deferral) or be at its own limit, and must not keep the
     * others parked; those that find the transport full again are parked again.
     */
    private void unpark(TransportSlots t) {
        ready.addAll(t.parked);
        t.parked.clear();
    }

    /**
     * After one of the transport's deliveries ended: back to the ready ring only as many parked
     * destinations as can start (one per free slot), in the order they were parked. Putting all
     * of them back made draining a capped transport quadratic: every finished delivery moved the
     * whole backlog (tens of thousands of destinations behind a maxproc-2 filter) through the ring
     * under this lock, to park all but one again. Skipped on the way: destinations with no job
     * left (a dead one's were handed back), dropped; those at their own concurrency limit stay
     * parked (at most one per delivery in progress, and each of those deliveries comes back here
     * when it ends).
     */
    private void unparkForFreeSlots(TransportSlots t) {
        int free = transportLimit(t) - t.active;
        var it = t.parked.iterator();
        while (free > 0 && it.hasNext()) {
            Destination d = it.next();
            if (d.jobs.isEmpty()) {
                it.remove();
                d.inReady = false;
                forgetIfIdle(d);
            } else if (d.active < limit(d)) {
                it.remove();
                ready.addLast(d);
                free--;
            }
        }
    }

    /** Forgets every destination's dead mark (a flush: try everything now). */
    synchronized void reviveAll() {
        for (Destination d : destinations.values()) {
            d.deadUntil = Instant.MIN;
            d.failuresSinceSuccess = 0;
        }
        forgetExpired(Instant.MIN);
    }

    /**
     * Drops idle destinations whose dead time is over (Postfix drops a throttled queue when its
     * unthrottle timer fires): a dead mark must not outlive its purpose, or a queue whose mail
     * goes to many dead domains would keep one entry per domain between retries.
     */
    synchronized void forgetExpired(Instant now) {
        destinations.values().removeIf(d -> d.jobs.isEmpty() && d.active == 0 && !d.inReady && !d.deadUntil.isAfter(now));
    }

    synchronized int destinationCount() {
        return destinations.size();
    }

    synchronized int running() {
        return running;
    }

    /** Deliveries in progress through {@code transport} (for tests). */
    synchronized int running(String transport) {
        TransportSlots t = transports.get(transport);
        return t == null ? 0 : t.active;
    }

    /** Keeps memory bounded by live destinations: an idle, healthy one is dropped. */
    private void forgetIfIdle(Destination d) {
        if (d.jobs.isEmpty() && d.active == 0 && d.deadCause == null && !d.inReady) {
            destinations.remove(d.key);
        }
    }
}

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
 * destination concurrency limit in progress per destination and default_process_limit in all;
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

    private static final class Destination {
        final Key key;
        final ArrayDeque<Job> jobs = new ArrayDeque<>();
        int active;
        int failuresSinceSuccess;
        Instant deadUntil = Instant.MIN;
        RecipientResult deadCause;
        boolean inReady;

        Destination(Key key) {
            this.key = key;
        }
    }

    /**
     * Failures in a row (no success between) that mark a destination down even while other
     * deliveries to it are still in progress: Postfix's initial_destination_concurrency (5) with
     * destination_concurrency_failed_cohort_limit 1, i.e. one failed window of five.
     */
    static final int FAILED_COHORT = 5;

    private final Map<Key, Destination> destinations = new HashMap<>();
    private final ArrayDeque<Destination> ready = new ArrayDeque<>();
    private final ToIntFunction<String> concurrencyFor;
    private int processLimit; // guarded by this: a reload may change it (setProcessLimit)
    private int running;

    Scheduler(ToIntFunction<String> concurrencyFor, int processLimit) {
        this.concurrencyFor = concurrencyFor;
        this.processLimit = processLimit;
    }

    /**
     * A reload's new default_process_limit: a higher one lets more deliveries start at once; a
     * lower one starts none until those in progress are below it (none is interrupted).
     */
    synchronized void setProcessLimit(int limit) {
        processLimit = limit;
    }

    /** Queues a job; when its destination is dead, refuses it and says why (the caller defers it). */
    synchronized Suspension add(Job job, Instant now) {
        Destination d = destinations.computeIfAbsent(job.destination(), Destination::new);
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
            if (d.active < limit(d)) {
                out.add(d.jobs.pollFirst());
                d.active++;
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

    /** Keeps memory bounded by live destinations: an idle, healthy one is dropped. */
    private void forgetIfIdle(Destination d) {
        if (d.jobs.isEmpty() && d.active == 0 && d.deadCause == null && !d.inReady) {
            destinations.remove(d.key);
        }
    }
}

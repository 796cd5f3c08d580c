package dev.postern.qmgr;

import dev.postern.config.Config;

import java.time.Duration;

/** Queue manager timing and concurrency (Postfix names). */
public record QmgrSettings(Duration queueRunDelay, Duration minimalBackoff, Duration maximalBackoff,
                           Duration maximalQueueLifetime, int concurrency) {
    public static QmgrSettings from(Config c) {
        return new QmgrSettings(c.duration("queue_run_delay"), c.duration("minimal_backoff_time"),
                c.duration("maximal_backoff_time"), c.duration("maximal_queue_lifetime"),
                Math.max(1, c.integer("default_destination_concurrency_limit")));
    }

    /** Postfix qmgr_active.c: the message's age, clamped to [minimal, maximal] backoff. */
    public Duration backoff(Duration age) {
        Duration d = age.compareTo(minimalBackoff) < 0 ? minimalBackoff : age;
        return d.compareTo(maximalBackoff) > 0 ? maximalBackoff : d;
    }
}

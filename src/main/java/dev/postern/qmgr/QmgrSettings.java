package dev.postern.qmgr;

import dev.postern.config.Config;
import dev.postern.config.MasterService;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Queue manager timing and concurrency, with Postfix's names. {@code transportConcurrency} holds
 * the {@code <transport>_destination_concurrency_limit} values that are set (for smtp, relay and
 * every master.cf service); other transports use {@code destinationConcurrency}.
 * {@code defaultFilterNexthop}: default_filter_nexthop, the next hop of a content filter that
 * names none (empty: the recipient's domain), see {@link Route#contentFilter}.
 * {@code transportProcessLimit}: the master.cf transport lines' numeric maxproc above 0, the most
 * deliveries at once through that transport (others: no cap of their own, see {@link #processLimitFor}).
 */
public record QmgrSettings(Duration queueRunDelay, Duration minimalBackoff, Duration maximalBackoff,
                           Duration maximalQueueLifetime, Duration bounceQueueLifetime, Duration delayWarningTime,
                           int destinationConcurrency, Map<String, Integer> transportConcurrency,
                           int processLimit, int messageActiveLimit, String defaultFilterNexthop,
                           Map<String, Integer> transportProcessLimit) {
    public QmgrSettings {
        transportConcurrency = Map.copyOf(transportConcurrency);
        transportProcessLimit = Map.copyOf(transportProcessLimit);
        // qmgr.c: "bounce_queue_lifetime is larger than maximal_queue_lifetime - adjusting" (ConfigChecks warns)
        if (bounceQueueLifetime.compareTo(maximalQueueLifetime) > 0) {
            bounceQueueLifetime = maximalQueueLifetime;
        }
        destinationConcurrency = unlimitedIfZero(destinationConcurrency);
        processLimit = Math.max(1, processLimit);
        messageActiveLimit = Math.max(1, messageActiveLimit);
        defaultFilterNexthop = defaultFilterNexthop == null ? "" : defaultFilterNexthop.strip();
    }

    /** Without per-transport maxproc. */
    public QmgrSettings(Duration queueRunDelay, Duration minimalBackoff, Duration maximalBackoff,
                        Duration maximalQueueLifetime, Duration bounceQueueLifetime, Duration delayWarningTime,
                        int destinationConcurrency, Map<String, Integer> transportConcurrency,
                        int processLimit, int messageActiveLimit, String defaultFilterNexthop) {
        this(queueRunDelay, minimalBackoff, maximalBackoff, maximalQueueLifetime, bounceQueueLifetime, delayWarningTime,
                destinationConcurrency, transportConcurrency, processLimit, messageActiveLimit, defaultFilterNexthop, Map.of());
    }

    /** With default_filter_nexthop empty (Postfix's default). */
    public QmgrSettings(Duration queueRunDelay, Duration minimalBackoff, Duration maximalBackoff,
                        Duration maximalQueueLifetime, Duration bounceQueueLifetime, Duration delayWarningTime,
                        int destinationConcurrency, Map<String, Integer> transportConcurrency,
                        int processLimit, int messageActiveLimit) {
        this(queueRunDelay, minimalBackoff, maximalBackoff, maximalQueueLifetime, bounceQueueLifetime, delayWarningTime,
                destinationConcurrency, transportConcurrency, processLimit, messageActiveLimit, "");
    }

    public static QmgrSettings from(Config c) {
        int dflt = c.integer("default_destination_concurrency_limit");
        Map<String, Integer> perTransport = new HashMap<>();
        limit(perTransport, "smtp", c.get("smtp_destination_concurrency_limit"), dflt);
        limit(perTransport, "relay", c.get("relay_destination_concurrency_limit"), dflt);
        Map<String, Integer> maxproc = new HashMap<>();
        for (MasterService s : c.services()) {
            // A transport line's maxproc (custom, smtp or relay line, with or without -o): Postfix's
            // master runs at most that many smtp processes for it, one delivery each. "-" is
            // default_process_limit, which here already bounds all deliveries together (in Postfix it
            // is per service); "0" is no limit. Plan has refused anything else.
            int n = s.isSmtpTransport() && s.maxproc().matches("\\d{1,10}") ? (int) Math.min(Integer.MAX_VALUE,
                    Long.parseLong(s.maxproc())) : 0;
            if (n > 0) {
                maxproc.put(s.name(), n);
            }
            // Other transports' parameters are not declared in Params and read as "": the default then.
            if (!perTransport.containsKey(s.name())) {
                limit(perTransport, s.name(), c.get(s.name() + "_destination_concurrency_limit"), dflt);
            }
        }
        return new QmgrSettings(c.duration("queue_run_delay"), c.duration("minimal_backoff_time"),
                c.duration("maximal_backoff_time"), c.duration("maximal_queue_lifetime"),
                c.duration("bounce_queue_lifetime"), c.duration("delay_warning_time"), dflt, perTransport,
                c.integer("default_process_limit"), c.integer("qmgr_message_active_limit"), c.get("default_filter_nexthop"),
                maxproc);
    }

    private static void limit(Map<String, Integer> perTransport, String transport, String value, int dflt) {
        if (value.matches("\\d+") && Integer.parseInt(value) != dflt) {
            perTransport.put(transport, Integer.parseInt(value));
        }
    }

    /** Settings for tests: the given timing, Postfix's limits, no lifetime surprises. */
    public static QmgrSettings of(Duration queueRunDelay, Duration minimalBackoff, Duration maximalBackoff,
                                  Duration maximalQueueLifetime, int destinationConcurrency) {
        return new QmgrSettings(queueRunDelay, minimalBackoff, maximalBackoff, maximalQueueLifetime,
                maximalQueueLifetime, Duration.ZERO, destinationConcurrency, Map.of(), 100, 20000);
    }

    /** Parallel deliveries allowed to one destination of {@code transport} (0 in main.cf: no limit, as Postfix). */
    public int concurrencyFor(String transport) {
        return unlimitedIfZero(transportConcurrency.getOrDefault(transport, destinationConcurrency));
    }

    /**
     * Deliveries allowed at once through {@code transport}, over all its destinations: its
     * master.cf maxproc, {@link Integer#MAX_VALUE} without one ({@code -}, {@code 0}, or no line).
     */
    public int processLimitFor(String transport) {
        return transportProcessLimit.getOrDefault(transport, Integer.MAX_VALUE);
    }

    private static int unlimitedIfZero(int limit) {
        return limit <= 0 ? Integer.MAX_VALUE : limit;
    }

    /**
     * Postfix qmgr_active.c: the message's age, capped at maximal_backoff_time, then raised to
     * minimal_backoff_time (so the minimum wins when it is the larger, as in Postfix). Retrying
     * after "age" more time doubles the age at each attempt: exponential backoff.
     */
    public Duration backoff(Duration age) {
        Duration d = age.compareTo(maximalBackoff) > 0 ? maximalBackoff : age;
        return d.compareTo(minimalBackoff) < 0 ? minimalBackoff : d;
    }

    /** maximal_queue_lifetime, or bounce_queue_lifetime for mail with the null sender. */
    public Duration lifetime(boolean nullSender) {
        return nullSender ? bounceQueueLifetime : maximalQueueLifetime;
    }
}

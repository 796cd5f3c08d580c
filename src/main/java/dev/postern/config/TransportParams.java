package dev.postern.config;

import java.util.Collection;
import java.util.List;

/**
 * Postfix's per-transport parameters (postconf_service.c): for every master.cf delivery
 * transport T, {@code T_destination_concurrency_limit} and fifteen more, each defaulting to its
 * {@code default_...} parameter. Postern declares them for the transports defined in master.cf,
 * so they are neither refused as unknown nor ignored in silence: the concurrency limit is honoured
 * (qmgr's {@code QmgrSettings}), the others are warned about as not implemented. The built-in smtp
 * and relay transports keep their rows in {@link Params}.
 */
final class TransportParams {
    /** The suffix Postern implements: qmgr's per-destination concurrency of the transport. */
    static final String CONCURRENCY = "_destination_concurrency_limit";
    /** Postfix's other suffixes for smtp transports (mail_params.h), accepted and warned about. */
    private static final List<String> NOT_IMPLEMENTED = List.of("_recipient_limit", "_extra_recipient_limit",
            "_recipient_refill_limit", "_recipient_refill_delay", "_delivery_slot_cost", "_delivery_slot_loan",
            "_delivery_slot_discount", "_minimum_delivery_slots", "_initial_destination_concurrency",
            "_destination_recipient_limit", "_destination_concurrency_positive_feedback",
            "_destination_concurrency_negative_feedback", "_destination_concurrency_failed_cohort_limit",
            "_destination_rate_delay", "_transport_rate_delay");

    private TransportParams() {}

    /** The parameter {@code name} is for one of {@code transports}, or null when it is none of these. */
    static Param of(String name, Collection<String> transports) {
        for (String t : transports) {
            if (!name.startsWith(t + "_")) {
                continue;
            }
            String suffix = name.substring(t.length());
            if (suffix.equals(CONCURRENCY)) {
                return new Param(name, Param.Type.INT, "$default_destination_concurrency_limit",
                        "Parallel deliveries to one destination of the master.cf transport " + t + " (0: no limit).",
                        Param.Status.IMPLEMENTED, null, 0L, null, null);
            }
            if (NOT_IMPLEMENTED.contains(suffix)) {
                // postconf_service.c: each defaults to $default<suffix>, but for initial_destination_concurrency,
                // which has no default_ parameter (mail_params.h: $initial_destination_concurrency).
                String dflt = suffix.equals("_initial_destination_concurrency") ? "$initial_destination_concurrency"
                        : "$default" + suffix;
                return new Param(name, Param.Type.STRING, dflt, "Postfix's " + suffix.substring(1)
                        + " for the master.cf transport " + t + " (not implemented).", Param.Status.NOT_IMPLEMENTED,
                        null, null, null, null);
            }
        }
        return null;
    }

    /**
     * The names of the delivery transports master.cf defines, but smtp and relay: their parameters
     * are declared in {@link Params} (or known to Postfix) whether or not master.cf has their line.
     */
    static List<String> transports(Config c) {
        return c.services().stream().filter(s -> s.isSmtpTransport() && !s.isBuiltInTransport()).map(MasterService::name).toList();
    }
}

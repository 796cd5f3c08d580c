package dev.postern.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a label's cardinality bounded: the first {@code limit} distinct values are kept as they
 * are, every later one is reported as {@value #OTHER}. A mail server that delivers to the whole
 * internet sees a new next hop per domain; without a cap each would become a time series forever.
 */
final class LabelCap {
    static final String OTHER = "other";

    private final int limit;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    LabelCap(int limit) {
        this.limit = limit;
    }

    String of(String value) {
        if (seen.contains(value)) {
            return value;
        }
        // Racing adders may overshoot the limit by a few; that keeps this lock-free and is harmless.
        if (seen.size() < limit) {
            seen.add(value);
            return value;
        }
        return OTHER;
    }
}

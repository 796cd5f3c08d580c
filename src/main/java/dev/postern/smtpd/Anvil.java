package dev.postern.smtpd;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Postfix's anvil for one listener: per client address, the simultaneous connections and the
 * number of connections, messages, recipients and new TLS sessions in the current
 * anvil_rate_time_unit. A client's window starts at its first event and is reset when a unit has
 * passed, as anvil(8) does. Idle clients are forgotten once their window is over.
 */
final class Anvil {
    enum Event { CONNECTION, MESSAGE, RECIPIENT, NEW_TLS }

    private static final class Client {
        int open;
        long windowStart;
        final int[] counts = new int[Event.values().length];
    }

    private final long unitNanos;
    private final LongSupplier clock;
    private final ConcurrentHashMap<InetAddress, Client> clients = new ConcurrentHashMap<>();
    private volatile long lastSweep = Long.MIN_VALUE / 2;

    Anvil(java.time.Duration rateTimeUnit) {
        this(rateTimeUnit, System::nanoTime);
    }

    Anvil(java.time.Duration rateTimeUnit, LongSupplier clock) {
        this.unitNanos = Math.max(1, rateTimeUnit.toNanos());
        this.clock = clock;
    }

    /** The simultaneous connections and the connections in this time unit, this one included. */
    record Connection(int open, int rate) {
    }

    /** A new connection, counted. */
    Connection connect(InetAddress client) {
        long now = clock.getAsLong();
        if (clients.size() > 10_000 && now - lastSweep >= unitNanos) {
            lastSweep = now; // at most one sweep per time unit: a flood of addresses must not make each connect O(n)
            sweep();
        }
        Connection[] out = new Connection[1];
        clients.compute(client, (k, c) -> {
            Client x = c == null ? new Client() : c;
            x.open++;
            out[0] = new Connection(x.open, count(x, Event.CONNECTION, 1));
            return x;
        });
        return out[0];
    }

    void disconnect(InetAddress client) {
        clients.computeIfPresent(client, (k, c) -> {
            c.open = Math.max(0, c.open - 1);
            return c.open == 0 && expired(c) ? null : c;
        });
    }

    /** Counts one event and returns how many there were in the current time unit, this one included. */
    int record(InetAddress client, Event e) {
        int[] rate = new int[1];
        clients.compute(client, (k, c) -> {
            Client x = c == null ? new Client() : c;
            rate[0] = count(x, e, 1);
            return x;
        });
        return rate[0];
    }

    /** The count of an event in the current time unit, without counting one. */
    int rate(InetAddress client, Event e) {
        int[] rate = new int[1];
        clients.computeIfPresent(client, (k, c) -> {
            rate[0] = count(c, e, 0);
            return c;
        });
        return rate[0];
    }

    private int count(Client c, Event e, int add) {
        long now = clock.getAsLong();
        if (c.windowStart == 0 || now - c.windowStart >= unitNanos) {
            java.util.Arrays.fill(c.counts, 0);
            c.windowStart = now == 0 ? 1 : now;
        }
        c.counts[e.ordinal()] += add;
        return c.counts[e.ordinal()];
    }

    private boolean expired(Client c) {
        return clock.getAsLong() - c.windowStart >= unitNanos;
    }

    void sweep() {
        for (InetAddress k : clients.keySet()) {
            clients.computeIfPresent(k, (kk, c) -> c.open == 0 && expired(c) ? null : c);
        }
    }

    int trackedClients() {
        return clients.size();
    }
}

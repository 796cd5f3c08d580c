package dev.postern.smtpd;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * smtpd_client_connection_count_limit: simultaneous connections per client address, like
 * Postfix's anvil. 0 disables the limit.
 */
final class ConnectionLimiter {
    private final int limit;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    ConnectionLimiter(int limit) {
        this.limit = limit;
    }

    /** Registers a connection; false (and nothing registered) when over the limit. */
    boolean tryAcquire(InetAddress client) {
        boolean[] ok = {true};
        open.compute(client, (k, n) -> {
            int count = n == null ? 0 : n;
            if (limit > 0 && count >= limit) {
                ok[0] = false;
                return n;
            }
            return count + 1;
        });
        return ok[0];
    }

    void release(InetAddress client) {
        open.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
    }
}

package dev.postern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Checks, at start and reload, that the open file limit (RLIMIT_NOFILE) fits what the
 * configuration may open at once: two descriptors per smtpd session (the connection, and a queue
 * file while DATA runs) up to each service's process limit, one per client waiting for a place
 * (postern_smtpd_waiting_client_limit), two per delivery agent (connection and
 * queue file), and a reserve for qmgr, the spool, the log, tables and the JVM itself. When it does
 * not fit, the warning names what to lower or raise; the limits still protect the process, as
 * accept() errors only pause the listener (see smtpd's AcceptErrors). It warns rather than refuses:
 * the sum is a worst case, and a refusal would stop mail on a machine that was working.
 *
 * <p>The JVM cannot call setrlimit: bin/postern raises the soft limit to the hard limit before it
 * starts Java (and HotSpot does the same by default, -XX:+MaxFDLimit), so what is read here is
 * the limit to respect.
 */
final class DescriptorBudget {
    static final int RESERVE = 128;

    private DescriptorBudget() {}

    /** The soft open file limit of this process, if /proc tells it ("unlimited" = Long.MAX_VALUE). */
    static Optional<Long> softLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return Optional.of(f[0].equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(f[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: nothing to check
        }
        return Optional.empty();
    }

    /** The warning to log, or empty when the configuration fits {@code softLimit}. */
    static Optional<String> check(List<Plan.Listener> listeners, int deliveryLimit, long softLimit) {
        long need = RESERVE + 2L * deliveryLimit;
        StringBuilder parts = new StringBuilder();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Plan.Listener l : listeners) {
            if (!seen.add(l.service().name())) {
                continue;
            }
            if (l.processLimit() == 0) {
                return Optional.of("service \"" + l.service().name() + "\" has no process limit (maxproc 0):"
                        + " its clients can use all " + softLimit + " open files of the process;"
                        + " set maxproc in master.cf (" + l.service().file() + ":" + l.service().line() + ")");
            }
            need += 2L * l.processLimit();
            parts.append("2 x ").append(l.processLimit()).append(" for service \"").append(l.service().name())
                    .append("\" (maxproc), ");
            var eviction = l.settings().eviction();
            if (!eviction.idleTime().isZero()) {
                need += eviction.waitingLimit();
                parts.append(eviction.waitingLimit()).append(" waiting clients (postern_smtpd_waiting_client_limit), ");
            }
        }
        if (need <= softLimit) {
            return Optional.empty();
        }
        return Optional.of("open file limit " + softLimit + " is below the " + need + " this configuration may need ("
                + parts + "2 x " + deliveryLimit + " for delivery (default_process_limit), " + RESERVE + " reserve):"
                + " lower maxproc in master.cf or default_process_limit, or raise the limit"
                + " (ulimit -n; LimitNOFILE= in the systemd unit)");
    }
}

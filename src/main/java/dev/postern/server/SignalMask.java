package dev.postern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which signals a process ignores, from Linux's {@code /proc/PID/status} ({@code SigIgn}, a hex
 * mask with bit N-1 for signal N). Needed because a JVM started with a shutdown signal ignored
 * (nohup ignores HUP) silently declines to handle it: {@code sun.misc.Signal.handle} then neither
 * installs the handler nor throws, so {@code postern reload} would wait for a daemon that never
 * hears it.
 */
public final class SignalMask {
    public static final int HUP = 1;
    public static final int INT = 2;
    public static final int TERM = 15;

    private SignalMask() {}

    /** Whether {@code pid} ignores {@code signal}; empty when it cannot be told (not Linux, no such process). */
    public static Optional<Boolean> ignores(long pid, int signal) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("SigIgn:")) {
                    long mask = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                    return Optional.of((mask >>> (signal - 1) & 1) != 0);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process is gone: unknown
        }
        return Optional.empty();
    }

    /** Whether this process ignores any of {@code signals}. */
    public static boolean selfIgnoresAny(int... signals) {
        long self = ProcessHandle.current().pid();
        for (int s : signals) {
            if (ignores(self, s).orElse(false)) {
                return true;
            }
        }
        return false;
    }
}

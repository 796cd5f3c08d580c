package dev.postern.server;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Background start and stop, like {@code postfix start/stop}: the daemon is this program's
 * {@code start-fg} in a child JVM; start returns once the child has written its pid file (all
 * listeners bound) or reports why the child died.
 */
public final class Daemon {
    private Daemon() {}

    /** @return null on success, else the reason (the child's last output lines) */
    public static String start(Path configDir, PidFile pidFile, Path outputFile, Duration timeout) throws IOException {
        Optional<PidFile.Holder> running = pidFile.holder();
        if (running.isPresent()) {
            return "already running (pid " + running.get().pid() + ")";
        }
        Files.createDirectories(outputFile.getParent());
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(resetIgnoredSignals());
        cmd.add(java);
        String opts = System.getenv("POSTERN_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) {
            cmd.addAll(List.of(opts.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.postern.cli.Main",
                "-c", configDir.toAbsolutePath().toString(), "start-fg", "--daemon"));
        long offset = Files.exists(outputFile) ? Files.size(outputFile) : 0;
        Process child = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(outputFile.toFile()))
                .redirectErrorStream(true)
                .start();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<PidFile.Holder> p = pidFile.holder();
            if (p.isPresent() && p.get().ready() && p.get().pid() == child.pid()) {
                return null;
            }
            if (!child.isAlive()) {
                return "postern exited with status " + child.exitValue() + ":\n" + tail(outputFile, offset);
            }
            sleep(50);
        }
        child.destroy();
        return "not ready after " + timeout.toSeconds() + "s; output:\n" + tail(outputFile, offset);
    }

    /**
     * A daemon must not inherit an ignored HUP, INT or TERM from whoever ran {@code postern start}
     * (nohup ignores HUP; a shell's background job, INT): its JVM would silently not handle them,
     * and {@code postern reload} (HUP) would not work. Java cannot reset a disposition for a child,
     * so the child is started through {@code env --default-signal} (GNU coreutils 8.31 and later);
     * without it the daemon logs the warning itself (see {@link Signals#handleHangup}).
     */
    static List<String> resetIgnoredSignals() {
        if (!SignalMask.selfIgnoresAny(SignalMask.HUP, SignalMask.INT, SignalMask.TERM)) {
            return List.of();
        }
        List<String> env = List.of("/usr/bin/env", "--default-signal=HUP,INT,TERM");
        try {
            List<String> probe = new ArrayList<>(env);
            probe.add("true");
            Process p = new ProcessBuilder(probe).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0) {
                return env;
            }
            p.destroyForcibly();
        } catch (IOException e) {
            // no /usr/bin/env: start as before
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of();
    }

    /**
     * Sends TERM to the process holding the pid file's lock and waits until the lock is free (the
     * process is gone); KILL after {@code timeout}. @return false when nothing was running
     */
    public static boolean stop(PidFile pidFile, Duration timeout) {
        Optional<PidFile.Holder> h = pidFile.holder();
        if (h.isEmpty()) {
            return false;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(h.get().pid());
        p.ifPresent(ProcessHandle::destroy);
        if (!awaitUnlocked(pidFile, timeout)) {
            p.ifPresent(ProcessHandle::destroyForcibly); // queue files are durable; only unacknowledged input is lost
            awaitUnlocked(pidFile, Duration.ofSeconds(10));
        }
        return true;
    }

    private static boolean awaitUnlocked(PidFile pidFile, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pidFile.holder().isPresent()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
    }

    private static String tail(Path file, long offset) {
        try {
            byte[] all = Files.readAllBytes(file);
            String s = new String(all, (int) Math.min(offset, all.length), (int) Math.max(0, all.length - offset),
                    StandardCharsets.UTF_8);
            String[] lines = s.split("\n");
            StringBuilder sb = new StringBuilder();
            for (int i = Math.max(0, lines.length - 15); i < lines.length; i++) {
                sb.append("  ").append(lines[i]).append('\n');
            }
            return sb.toString();
        } catch (IOException e) {
            return "  (no output: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.postern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Postern as a separate process ({@code postern -c DIR start-fg}, the test's class path), for
 * tests that kill it with SIGKILL. Ready means: master.pid names this process and no longer
 * says "starting" (every listener accepts connections).
 */
final class DaemonProcess {
    private DaemonProcess() {}

    static Process start(Path configDir, Path queueDir, Path output) throws Exception {
        return start(configDir, queueDir, output, List.of());
    }

    /** {@code jvmOptions}: more JVM options, e.g. a heap limit. */
    static Process start(Path configDir, Path queueDir, Path output, List<String> jvmOptions) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        // HUP (reload), INT and TERM at their defaults, as systemd starts a service, even when this
        // test runs under nohup: the JVM would silently decline a HUP handler (see Daemon.start)
        List<String> command = new ArrayList<>(Daemon.resetIgnoredSignals());
        command.addAll(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "dev.postern.cli.Main", "-c", configDir.toString(), "start-fg"));
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                .start();
        Path pid = queueDir.resolve("pid").resolve("master.pid");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(pid) && readQuietly(pid).equals(Long.toString(p.pid()))) {
                return p;
            }
            if (!p.isAlive()) {
                throw new AssertionError("postern died (exit " + p.exitValue() + "): " + tail(output));
            }
            Thread.sleep(20);
        }
        p.destroyForcibly();
        throw new AssertionError("postern not ready after 60s: " + tail(output));
    }

    /** SIGKILL, and wait until the process is gone. */
    static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly();
        p.waitFor();
    }

    private static String readQuietly(Path f) {
        try {
            return Files.readString(f).trim();
        } catch (IOException e) {
            return "";
        }
    }

    static String tail(Path f) {
        try {
            String s = Files.readString(f);
            return s.substring(Math.max(0, s.length() - 3000));
        } catch (IOException e) {
            return "(no output)";
        }
    }
}

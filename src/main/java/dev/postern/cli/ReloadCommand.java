package dev.postern.cli;

import dev.postern.server.PidFile;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import dev.postern.server.SignalMask;
import dev.postern.server.Signals;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code postern reload}: validates the configuration, then sends HUP to the running daemon, which
 * swaps it in place (no listening socket closes, sessions in progress finish under the old
 * settings, queued mail is untouched), and prints the daemon's outcome. A broken configuration is
 * refused here, and again by the daemon if it changed in between: the old one keeps running.
 */
@Command(name = "reload", description = "Re-read the configuration in the running daemon (postfix reload), without a gap (validated first).")
final class ReloadCommand implements java.util.concurrent.Callable<Integer> {
    private static final long WAIT_MILLIS = 60_000;

    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        Path dir = parent.config.directory(spec.commandLine());
        Plan plan;
        try {
            plan = Server.plan(dir);
        } catch (dev.postern.config.ConfigException e) {
            err.println("postern: fatal: new configuration refused, still running the old one: " + e.getMessage());
            return 1;
        }
        plan.warnings().forEach(w -> err.println("postern: warning: " + w));
        Path queueDir = Path.of(plan.config().get("queue_directory"));
        Optional<ProcessHandle> daemon = new PidFile(queueDir).running();
        if (daemon.isEmpty()) {
            err.println("postern: the mail system is not running");
            return 1;
        }
        long pid = daemon.get().pid();
        if (SignalMask.ignores(pid, SignalMask.HUP).orElse(false)) {
            err.println("postern: fatal: pid " + pid + " ignores SIGHUP (it was started with SIGHUP ignored, e.g. under nohup),"
                    + " so it cannot reload; restart it: postern stop; postern start (which resets SIGHUP for the daemon)");
            return 1;
        }
        // Java can send only TERM and KILL; the shell's kill builtin sends HUP.
        String before = Signals.lastReload(queueDir).orElse("");
        Process kill = new ProcessBuilder("sh", "-c", "kill -HUP \"$0\"", Long.toString(pid)).redirectErrorStream(true).start();
        if (kill.waitFor() != 0) {
            err.println("postern: fatal: cannot signal pid " + pid + ": " + new String(kill.getInputStream().readAllBytes()).strip());
            return 1;
        }
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            String now = Signals.lastReload(queueDir).orElse("");
            if (!now.equals(before) && now.startsWith(pid + " ")) {
                return report(now);
            }
            Thread.sleep(20);
        }
        err.println("postern: fatal: no answer from pid " + pid + " after " + WAIT_MILLIS / 1000 + "s; see the mail log");
        return 1;
    }

    /** {@code PID SEQ ok[\nwarning: ...]} or {@code PID SEQ refused: REASON}. */
    private int report(String status) {
        String[] lines = status.strip().split("\n");
        String first = lines[0].split(" ", 3)[2];
        if (first.startsWith("refused: ")) {
            spec.commandLine().getErr().println("postern: fatal: new configuration refused, still running the old one: "
                    + first.substring("refused: ".length()));
            return 1;
        }
        for (int i = 1; i < lines.length; i++) {
            spec.commandLine().getErr().println("postern: " + lines[i]);
        }
        spec.commandLine().getOut().println("postern: reloaded");
        return 0;
    }
}

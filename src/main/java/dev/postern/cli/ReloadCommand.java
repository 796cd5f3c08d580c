package dev.postern.cli;

import dev.postern.server.Daemon;
import dev.postern.server.PidFile;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code postern reload}: re-read the configuration. Implemented as check, graceful stop, start:
 * queued mail is on disk and survives; a broken new configuration is refused before anything stops.
 */
@Command(name = "reload", description = "Re-read the configuration (validated first; queued mail is kept).")
final class ReloadCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path dir = parent.config.directory(spec.commandLine());
        Plan plan;
        try {
            plan = Server.plan(dir);
        } catch (dev.postern.config.ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: new configuration refused, still running the old one: "
                    + e.getMessage());
            return 1;
        }
        Path queueDir = Path.of(plan.config().get("queue_directory"));
        PidFile pid = new PidFile(queueDir);
        if (pid.running().isEmpty()) {
            spec.commandLine().getErr().println("postern: the mail system is not running");
            return 1;
        }
        Daemon.stop(pid, Duration.ofSeconds(30));
        String problem = Daemon.start(dir, pid, queueDir.resolve("pid").resolve("master.out"), Duration.ofSeconds(60));
        if (problem != null) {
            spec.commandLine().getErr().println("postern: fatal: " + problem);
            return 1;
        }
        spec.commandLine().getOut().println("postern: reloaded");
        return 0;
    }
}

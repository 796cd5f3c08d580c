package dev.postern.cli;

import dev.postern.server.Daemon;
import dev.postern.server.PidFile;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.nio.file.Path;
import java.time.Duration;

/** {@code postern start}: start in the background; exit 0 only once every listener accepts connections. */
@Command(name = "start", description = "Start the mail system in the background (postfix start); returns when it accepts connections.")
final class StartCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.Option(names = "--allow-root", description = "Run as root anyway (containers, tests); without it Postern refuses root.")
    boolean allowRoot;

    @Override
    public Integer call() throws Exception {
        String refusal = RootGuard.refusal(allowRoot);
        if (refusal != null) {
            spec.commandLine().getErr().println("postern: fatal: " + refusal);
            return 1;
        }
        Path dir = parent.config.directory(spec.commandLine());
        Plan plan;
        try {
            plan = Server.plan(dir);
        } catch (dev.postern.config.ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        plan.warnings().forEach(w -> spec.commandLine().getErr().println("postern: warning: " + w));
        Path queueDir = Path.of(plan.config().get("queue_directory"));
        PidFile pid = new PidFile(queueDir);
        Path out = queueDir.resolve("pid").resolve("master.out");
        String problem = Daemon.start(dir, pid, out, Duration.ofSeconds(60));
        if (problem != null) {
            spec.commandLine().getErr().println("postern: fatal: " + problem);
            return 1;
        }
        spec.commandLine().getOut().println("postern: started (pid " + pid.running().map(ProcessHandle::pid).orElse(-1L) + ")");
        return 0;
    }
}

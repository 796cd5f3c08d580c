package dev.postern.cli;

import dev.postern.server.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Optional;

/** {@code postern status}: exit 0 iff running. */
@Command(name = "status", description = "Exit 0 if the mail system is running, 1 otherwise.")
final class StatusCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Optional<ProcessHandle> p = Control.pidFile(parent, spec).running();
        if (p.isPresent()) {
            spec.commandLine().getOut().println("postern: the mail system is running: PID: " + p.get().pid());
            return 0;
        }
        spec.commandLine().getOut().println("postern: the mail system is not running");
        return 1;
    }
}

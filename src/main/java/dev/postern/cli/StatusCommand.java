package dev.postern.cli;

import dev.postern.server.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.Optional;

/** {@code postern status}: exit 0 iff running. */
@Command(name = "status", description = "Exit 0 if the mail system is running, 1 otherwise (postfix status).")
final class StatusCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // The lock on master.pid decides, not the number in it: a dead process holds no lock.
        Optional<PidFile.Holder> p = Control.pidFile(parent, spec).holder();
        if (p.isPresent()) {
            spec.commandLine().getOut().println("postern: the mail system is " + (p.get().ready() ? "running" : "starting")
                    + ": PID: " + p.get().pid());
            return 0;
        }
        spec.commandLine().getOut().println("postern: the mail system is not running");
        return 1;
    }
}

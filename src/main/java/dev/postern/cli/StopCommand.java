package dev.postern.cli;

import dev.postern.server.Daemon;
import dev.postern.server.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.time.Duration;

/**
 * {@code postern stop}: TERM to the daemon, which stops accepting, lets sessions in progress finish
 * their transaction (10 s), lets qmgr finish its deliveries (20 s), closes everything and exits;
 * returns when the process is gone (KILL after 60 s: queued mail is durable either way).
 */
@Command(name = "stop", description = "Stop the mail system gracefully (postfix stop); returns when the process has exited.")
final class StopCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PidFile pid = Control.pidFile(parent, spec);
        if (!Daemon.stop(pid, Duration.ofSeconds(60))) {
            spec.commandLine().getErr().println("postern: the mail system is not running");
            return 1;
        }
        spec.commandLine().getOut().println("postern: stopped");
        return 0;
    }
}

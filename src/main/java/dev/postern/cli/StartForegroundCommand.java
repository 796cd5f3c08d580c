package dev.postern.cli;

import dev.postern.server.Plan;
import dev.postern.server.Server;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.CountDownLatch;

/** {@code postern start-fg}: run in the foreground (systemd, containers); TERM stops gracefully, HUP reloads. */
@Command(name = "start-fg", description = "Run the mail system in the foreground; the mail log goes to stdout (to syslog under systemd) unless maillog_file is set.")
final class StartForegroundCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.Option(names = "--daemon", hidden = true)
    boolean daemon;

    @Override
    public Integer call() throws Exception {
        Plan plan;
        try {
            plan = Server.plan(parent.config.directory(spec.commandLine()));
        } catch (dev.postern.config.ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        Server server;
        try {
            // In the background, and under systemd (stdout is the journal), the log goes to syslog
            // as Postfix's does, so /var/log/mail.log gets postfix-style program names.
            server = Server.start(plan, daemon || dev.postern.log.MailLog.stdoutIsJournal() ? null : System.out);
        } catch (dev.postern.config.ConfigException | java.io.IOException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        dev.postern.server.Signals.handleHangup(server, parent.config.directory(spec.commandLine())); // HUP = reload
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "postern-shutdown"));
        if (!daemon) {
            System.err.println("postern: listening on " + server.addresses() + "; Ctrl-C stops");
        }
        stopped.await();
        return 0;
    }
}

package dev.postern.cli;

import dev.postern.server.Plan;
import dev.postern.server.Server;
import dev.postern.server.Signals;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.CountDownLatch;

/** {@code postern start-fg}: run in the foreground (systemd, containers); TERM stops gracefully, HUP reloads. */
@Command(name = "start-fg", description = "Run the mail system in the foreground (postfix start-fg); the mail log goes to stdout (to syslog under systemd) unless maillog_file is set.")
final class StartForegroundCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    /** Set by {@code postern start} for its child, after it applied the root check itself. */
    @CommandLine.Option(names = "--daemon", hidden = true)
    boolean daemon;
    @CommandLine.Option(names = "--allow-root", description = "Run as root anyway (containers, tests); without it Postern refuses root.")
    boolean allowRoot;

    @Override
    public Integer call() throws Exception {
        String refusal = RootGuard.refusal(allowRoot || daemon);
        if (refusal != null) {
            spec.commandLine().getErr().println("postern: fatal: " + refusal);
            return 1;
        }
        Plan plan;
        try {
            plan = Server.plan(parent.config.directory(spec.commandLine()));
        } catch (dev.postern.config.ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        // Before start: master.pid says "ready" inside Server.start, and postern reload may follow at once.
        Signals.Hangup hangup = Signals.handleHangup(parent.config.directory(spec.commandLine()));
        Server server;
        boolean underSystemd = dev.postern.log.MailLog.stdoutIsJournal();
        try {
            // In the background, and under systemd (stdout is the journal), the log goes to syslog
            // as Postfix's does, so /var/log/mail.log gets postfix-style program names.
            server = Server.start(plan, daemon || underSystemd ? null : System.out);
        } catch (dev.postern.config.ConfigException | java.io.IOException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        hangup.serve(server); // HUP = reload
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "postern-shutdown"));
        // As the mail log writes them ("127.0.0.1:587 :::25"), for systemctl status and the terminal.
        String listening = server.addresses().stream()
                .map(a -> dev.postern.util.IpAddresses.printable(a.getAddress()) + ":" + a.getPort())
                .collect(java.util.stream.Collectors.joining(" "));
        String notifyProblem = SystemdNotify.ready("listening on " + listening);
        if (notifyProblem != null) {
            System.err.println("postern: warning: " + notifyProblem + " (Type=notify: systemd will time out the start)");
        }
        if (!daemon && !underSystemd) { // under systemd, Ctrl-C means nothing: systemctl status shows the status
            System.err.println("postern: listening on " + listening + "; Ctrl-C stops");
        }
        stopped.await();
        return 0;
    }
}

package dev.postern.cli;

import dev.postern.config.ConfigException;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code postern check}: validate everything a start would, print warnings; exit 1 on errors. */
@Command(name = "check", description = "Validate main.cf, master.cf, tables and TLS files (postfix check, and more: certificate expiry, names, purposes, CRL); warnings name file:line.")
final class CheckCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        try {
            Plan plan = Server.plan(parent.config.directory(spec.commandLine()));
            plan.warnings().forEach(w -> spec.commandLine().getErr().println("postern: warning: " + w));
            for (Plan.Listener l : plan.listeners()) { // which code will sign, as the daemon's start line says
                if (l.tlsLibrary() != null) {
                    spec.commandLine().getOut().println("postern: service " + l.service().name() + ": TLS by " + l.tlsLibrary());
                }
            }
            long transports = plan.config().services().stream().filter(dev.postern.config.MasterService::isSmtpTransport).count();
            spec.commandLine().getOut().println("postern: configuration OK (" + plan.listeners().size()
                    + " smtpd service" + (plan.listeners().size() == 1 ? "" : "s") + ", "
                    + (transports == 0 ? "" : transports + " master.cf transport" + (transports == 1 ? "" : "s") + ", ")
                    + plan.warnings().size() + " warning" + (plan.warnings().size() == 1 ? "" : "s") + ")");
            return 0;
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
    }
}

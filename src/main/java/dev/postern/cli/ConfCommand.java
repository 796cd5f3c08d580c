package dev.postern.cli;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.config.Param;
import dev.postern.config.Params;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code postern conf}: like postconf. Effective values; -n only those set in main.cf; -d defaults. */
@Command(name = "conf", description = "Show parameters like postconf: effective values, -n only those set, -d defaults.")
final class ConfCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "-n", description = "only parameters set in main.cf")
    boolean explicitOnly;
    @Option(names = "-d", description = "default values")
    boolean defaults;
    @Parameters(arity = "0..*", paramLabel = "NAME")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (defaults) {
            for (String n : names.isEmpty() ? new ArrayList<>(Params.all().keySet()) : names) {
                Param p = Params.get(n);
                if (p == null) {
                    spec.commandLine().getErr().println("postern conf: warning: " + n + ": unknown parameter");
                    continue;
                }
                out.println(n + " = " + p.defaultValue());
            }
            out.flush();
            return 0;
        }
        Config c;
        try {
            c = ConfigLoader.load(parent.config.directory(spec.commandLine())).config();
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("postern: fatal: " + e.getMessage());
            return 1;
        }
        if (explicitOnly) {
            c.explicitValues().forEach((k, v) -> {
                if (names.isEmpty() || names.contains(k)) {
                    out.println(k + " = " + v);
                }
            });
        } else {
            int status = 0;
            for (String n : names.isEmpty() ? new ArrayList<>(Params.all().keySet()) : names) {
                if (!Params.known(n) && !c.isSet(n)) {
                    spec.commandLine().getErr().println("postern conf: warning: " + n + ": unknown parameter");
                    status = 1;
                    continue;
                }
                out.println(n + " = " + c.get(n));
            }
            out.flush();
            return status;
        }
        out.flush();
        return 0;
    }
}

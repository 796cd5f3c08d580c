package dev.postern.cli;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.maps.TableCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code postern map}: like postmap. Checks a table's source (file:line errors, duplicate keys) or
 * queries it with -q. Postern reads tables from their source files and reloads them when they
 * change, so there is nothing to rebuild: "compiling" is checking.
 */
@Command(name = "map", description = "Check (like postmap) or query (-q) lookup tables: type:file, default type hash.")
final class MapCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "-q", paramLabel = "KEY", description = "look up KEY and print the value (exit 1 if not found)")
    String query;
    @Parameters(arity = "1..*", paramLabel = "TABLE")
    List<String> tables;

    @Override
    public Integer call() {
        int status = 0;
        for (String t : tables) {
            String tableSpec = t.contains(":") ? t : "hash:" + t;
            try {
                if (query != null) {
                    LookupTable table = Maps.open(tableSpec);
                    Optional<String> v = table.lookup(query);
                    if (v.isPresent()) {
                        spec.commandLine().getOut().println(v.get());
                        spec.commandLine().getOut().flush();
                        return 0;
                    }
                    status = 1;
                } else {
                    TableCheck.Result r = TableCheck.check(tableSpec);
                    r.warnings().forEach(w -> spec.commandLine().getErr().println("postern map: warning: " + w));
                    spec.commandLine().getOut().println("postern map: " + tableSpec + ": " + r.entries() + " entries, OK");
                    spec.commandLine().getOut().flush();
                }
            } catch (IllegalArgumentException | LookupException e) {
                spec.commandLine().getErr().println("postern map: fatal: " + e.getMessage());
                return 2;
            }
        }
        return status;
    }
}

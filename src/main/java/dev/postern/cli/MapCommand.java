package dev.postern.cli;

import dev.postern.maps.LookupException;
import dev.postern.maps.LookupTable;
import dev.postern.maps.Maps;
import dev.postern.maps.TableCheck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code postern map}: like postmap. Checks a table's source (file:line errors, duplicate keys),
 * queries it with -q, lists it with -s. Postern reads tables from their source files and reloads
 * them when they change, so there is nothing to rebuild: "compiling" is checking. For the same
 * reason postmap's -f (no case folding) and -r (last duplicate wins) cannot be honoured: the
 * server always folds keys and uses the first of duplicates, so they are refused with that
 * explanation rather than silently ignored.
 */
@Command(name = MapCommand.NAME, description = "Check (like postmap), query (-q) or list (-s) lookup tables: type:file, default type hash.")
final class MapCommand implements Callable<Integer> {
    static final String NAME = "map";
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "-q", paramLabel = "KEY", description = "look up KEY and print the value (exit 1 if not found)")
    String query;
    @Option(names = "-s", description = "list every entry as 'key value', as the server sees them (first duplicate wins)")
    boolean dump;
    @Option(names = "-w", description = "do not warn about duplicate entries")
    boolean noDuplicateWarnings;
    @Option(names = "-f", description = "not supported: the server always folds keys to lower case")
    boolean noFold;
    @Option(names = "-r", description = "not supported: the server always uses the first of duplicate entries")
    boolean replace;
    @Option(names = "-h", description = "with -q -: read a message on stdin and look up each logical header (postmap -h)")
    boolean headers;
    @Option(names = "-b", description = "with -q -: read a message on stdin and look up each body line (postmap -b)")
    boolean body;
    @Option(names = "-m", description = "with -h or -b: follow the message's MIME structure, as cleanup does (postmap -m)")
    boolean mime;
    @Option(names = "--bench", paramLabel = "N", description = "time N lookups of existing keys (1 thread) and print RESULT")
    Long bench; // null: not benchmarking
    /** The message or keys of {@code -q -} (Main.run gives tests their own). */
    java.io.InputStream stdin = System.in;
    @Parameters(arity = "1..*", paramLabel = "TABLE")
    List<String> tables;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (noFold || replace) {
            err.println("postern map: fatal: " + (noFold ? "-f" : "-r") + " is not supported: Postern reads the table's"
                    + " source file at run time, where keys are always case-folded and the first of duplicate keys is"
                    + " used (postmap's defaults); " + (noFold ? "write keys in lower case" : "remove the duplicates"));
            return 2;
        }
        if (bench != null && bench < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--bench " + bench + ": the number of lookups to time must be 1 or more");
        }
        if ((headers || body || mime) && !"-".equals(query)) {
            err.println("postern map: fatal: specify -b -h or -m only with \"-q -\"");
            return 2;
        }
        if (mime && !headers && !body) {
            err.println("postern map: warning: ignoring -m option without -b or -h");
        }
        if ("-".equals(query)) {
            try {
                return MapQueries.run(tables.stream().map(t -> t.contains(":") ? t : "hash:" + t).toList(), headers, body,
                        mime, stdin, out, err);
            } catch (IllegalArgumentException | LookupException | java.io.IOException e) {
                err.println("postern map: fatal: " + e.getMessage());
                return 2;
            }
        }
        int status = 0;
        for (String t : tables) {
            String tableSpec = t.contains(":") ? t : "hash:" + t;
            try {
                if (bench != null) {
                    MapBenchmark.run(tableSpec, bench, out);
                } else if (query != null) {
                    LookupTable table = Maps.open(tableSpec);
                    Optional<String> v = table.lookup(query);
                    if (v.isPresent()) {
                        out.println(v.get());
                        out.flush();
                        return 0;
                    }
                    status = 1;
                } else if (dump) {
                    for (TableCheck.Entry e : TableCheck.dump(tableSpec)) {
                        out.println(e.key() + " " + e.value());
                    }
                } else {
                    TableCheck.Result r = TableCheck.check(tableSpec);
                    if (!noDuplicateWarnings) {
                        r.warnings().forEach(w -> err.println("postern map: warning: " + w));
                    }
                    out.println("postern map: " + tableSpec + ": " + r.entries() + " entries, OK");
                }
                out.flush();
            } catch (IllegalArgumentException | LookupException e) {
                err.println("postern map: fatal: " + e.getMessage());
                return 2;
            }
        }
        return status;
    }
}

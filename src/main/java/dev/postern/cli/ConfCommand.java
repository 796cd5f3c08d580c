package dev.postern.cli;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.config.MainCfEditor;
import dev.postern.config.Param;
import dev.postern.config.Params;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code postern conf}: postconf(1). Values as written (with -x expanded), -n only those set,
 * -d defaults, -h values without "name = ", -e name=value edits main.cf in place, -M lists the
 * master.cf services.
 */
@Command(name = "conf", description = "Show or edit parameters like postconf: values as written (-x expanded), -n only those "
        + "set, -d defaults, -h values only, -e name=value edits main.cf, -M master.cf services.")
final class ConfCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "-n", description = "only parameters set in main.cf")
    boolean explicitOnly;
    @Option(names = "-d", description = "default values")
    boolean defaults;
    @Option(names = "-x", description = "expand $name in values")
    boolean expand;
    @Option(names = "-h", description = "values only, without \"name = \"")
    boolean valuesOnly;
    @Option(names = "-e", description = "edit main.cf: NAME=VALUE ... (atomically, keeping comments and other lines)")
    boolean edit;
    @Option(names = "-M", description = "master.cf services, like postconf -M (NAME: service or service/type)")
    boolean master;
    @Parameters(arity = "0..*", paramLabel = "NAME")
    List<String> names = new ArrayList<>();

    private PrintWriter out;
    private PrintWriter err;

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        err = spec.commandLine().getErr();
        try {
            if (edit) {
                return edit();
            }
            if (master) {
                return master();
            }
            return defaults ? showDefaults() : show();
        } catch (ConfigException e) {
            err.println("postern conf: fatal: " + e.getMessage());
            return 1;
        } catch (IOException | IllegalArgumentException e) {
            // IllegalArgumentException: a $name cycle met by -x in a configuration that was not checked.
            err.println("postern conf: fatal: " + e.getMessage());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    private Path directory() {
        return parent.config.directory(spec.commandLine());
    }

    private void print(String name, String value) {
        out.println(valuesOnly ? value : name + " = " + value);
    }

    private int edit() throws ConfigException, IOException {
        for (String w : MainCfEditor.edit(directory(), names)) {
            err.println("postern conf: warning: " + w);
        }
        return 0;
    }

    private int showDefaults() {
        // -d needs no configuration directory (postconf -d neither); -x expands against the defaults.
        Config d = ConfigLoader.defaults(parent.config.dir != null ? parent.config.dir
                : Path.of(System.getenv().getOrDefault("POSTERN_CONFIG_DIR", "/etc/postern")));
        int status = 0;
        for (String n : names.isEmpty() ? new ArrayList<>(Params.all().keySet()) : names) {
            Param p = Params.get(n);
            if (p == null) {
                err.println("postern conf: warning: " + n + ": unknown parameter");
                status = 1;
                continue;
            }
            print(n, expand ? d.get(n) : p.defaultValue());
        }
        return status;
    }

    private int show() throws ConfigException {
        // Like postconf: show the values even of a configuration that check refuses.
        Config c = ConfigLoader.read(directory());
        if (explicitOnly) {
            for (String k : c.explicitValues().keySet()) {
                if (names.isEmpty() || names.contains(k)) {
                    print(k, expand ? c.get(k) : c.raw(k));
                }
            }
            return 0;
        }
        int status = 0;
        for (String n : names.isEmpty() ? new ArrayList<>(Params.all().keySet()) : names) {
            if (!Params.known(n) && !c.isSet(n) && c.raw(n).isEmpty()) { // raw: a master.cf transport's T_* parameters
                err.println("postern conf: warning: " + n + ": unknown parameter");
                status = 1;
                continue;
            }
            print(n, expand ? c.get(n) : c.raw(n));
        }
        return status;
    }

    /** postconf -M: the eight fields at postconf's column positions, then the arguments. */
    private int master() throws ConfigException {
        int status = 0;
        List<List<String>> rows = ConfigLoader.masterCfRows(directory());
        for (String n : names) {
            if (rows.stream().noneMatch(r -> selected(r, List.of(n)))) {
                err.println("postern conf: warning: " + n + ": no such master.cf service");
                status = 1;
            }
        }
        for (List<String> row : rows) {
            if (names.isEmpty() || selected(row, names)) {
                out.println(formatMasterRow(row));
            }
        }
        return status;
    }

    private static boolean selected(List<String> row, List<String> names) {
        String service = row.get(0);
        String type = row.size() > 1 ? row.get(1) : "";
        return names.contains(service) || names.contains(service + "/" + type);
    }

    /** postconf's column for each of the eight master.cf fields (postconf_master.c). */
    private static final int[] COLUMN_GOAL = {0, 11, 17, 25, 33, 41, 49, 57};

    /**
     * One service as postconf -M prints it: the fields at their columns (at least one space
     * apart), then "-o name=value" pairs and other arguments, {braced} when they contain blanks.
     */
    static String formatMasterRow(List<String> words) {
        List<String> argv = normalizeDaemonArgs(words);
        StringBuilder sb = new StringBuilder();
        for (int f = 0; f < Math.min(COLUMN_GOAL.length, argv.size()); f++) {
            if (sb.length() > 0) {
                do {
                    sb.append(' ');
                } while (sb.length() < COLUMN_GOAL[f]);
            }
            sb.append(argv.get(f));
        }
        boolean inOptions = true;
        for (int f = COLUMN_GOAL.length; f < argv.size(); f++) {
            String arg = argv.get(f);
            if (inOptions && (!arg.startsWith("-") || arg.equals("--"))) {
                inOptions = false;
            }
            sb.append(' ');
            if (inOptions && arg.equals("-o") && f + 1 < argv.size()) {
                sb.append("-o ").append(braced(argv.get(++f)));
            } else {
                sb.append(inOptions ? arg : braced(arg));
            }
        }
        return sb.toString();
    }

    /** "-oname=value" → "-o" "name=value"; "-o" "{ name = value }" → "-o" "name=value"; "{text}" → "text". */
    private static List<String> normalizeDaemonArgs(List<String> words) {
        List<String> argv = new ArrayList<>(words);
        int f = COLUMN_GOAL.length;
        for (; f < argv.size(); f++) {
            String arg = argv.get(f);
            if (!arg.startsWith("-") || arg.equals("--")) {
                break;
            }
            if (arg.length() < 2 || arg.charAt(1) != 'o') {
                continue;
            }
            if (arg.length() > 2) {
                argv.set(f, "-o");
                argv.add(f + 1, arg.substring(2));
            }
            if (f + 1 < argv.size()) {
                f++;
                String v = argv.get(f);
                if (v.startsWith("{")) {
                    String inner = unbrace(v);
                    int eq = inner.indexOf('=');
                    argv.set(f, eq < 0 ? inner : inner.substring(0, eq).strip() + "=" + inner.substring(eq + 1).strip());
                }
            }
        }
        for (; f < argv.size(); f++) {
            if (argv.get(f).startsWith("{")) {
                argv.set(f, unbrace(argv.get(f)));
            }
        }
        return argv;
    }

    private static String unbrace(String v) {
        return v.substring(1, v.endsWith("}") ? v.length() - 1 : v.length()).strip();
    }

    private static String braced(String v) {
        return v.chars().anyMatch(Character::isWhitespace) ? "{" + v + "}" : v;
    }
}

package dev.postern.config;

/**
 * A configuration mistake, reported as {@code file:line: problem; fix}. Never a stack trace for
 * the user: the CLI prints {@link #getMessage()} and exits non-zero.
 */
public class ConfigException extends Exception {
    private final String file;
    private final int line;
    private final String fix;
    private final String problem;

    public ConfigException(String file, int line, String problem, String fix) {
        super(format(file, line, problem, fix));
        this.file = file;
        this.line = line;
        this.fix = fix;
        this.problem = problem;
    }

    /** The same mistake, its problem text prefixed (e.g. with the master.cf transport it belongs to). */
    public ConfigException prefixed(String prefix) {
        return new ConfigException(file, line, prefix + problem, fix);
    }

    private static String format(String file, int line, String problem, String fix) {
        String where = file == null ? "" : (line > 0 ? file + ":" + line + ": " : file + ": ");
        return where + problem + (fix == null || fix.isEmpty() ? "" : "; " + fix);
    }

    public String file() {
        return file;
    }

    public int line() {
        return line;
    }

    /** The mistake alone, without its place and fix. */
    public String problem() {
        return problem;
    }

    public String fix() {
        return fix;
    }
}

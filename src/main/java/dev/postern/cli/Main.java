package dev.postern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code postern}: Postfix-style verbs for the daemon, configuration, tables, CA and tests.
 * User mistakes print one line (file:line and the fix) and exit non-zero, never a stack trace.
 */
@Command(name = "postern", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "A mail transfer agent: TLS submission with client certificates, Postfix-compatible configuration.",
        subcommands = {StartCommand.class, StartForegroundCommand.class, StopCommand.class, StatusCommand.class,
                ReloadCommand.class, CheckCommand.class, QueueCommand.class, ConfCommand.class, MapCommand.class, RouteCommand.class, CaCommand.class,
                SendmailCommand.class, InstallLinksCommand.class, LogCommand.class,
                DemoCommand.class, SinkCommand.class, TestCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigOption config;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** For tests: run with the given output streams. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /**
     * For tests and embedding: run with the given standard input and output for commands that read
     * or write raw bytes there (sendmail's message on stdin, sendmail -bs's SMTP dialog).
     */
    public static int run(java.io.InputStream stdin, java.io.OutputStream stdout, java.io.PrintWriter out,
                          java.io.PrintWriter err, String... args) {
        CommandLine cl = commandLine(out, err);
        SendmailCommand sendmail = cl.getSubcommands().get(SendmailCommand.NAME).getCommand();
        sendmail.stdin = stdin;
        sendmail.stdout = stdout;
        ((MapCommand) cl.getSubcommands().get(MapCommand.NAME).getCommand()).stdin = stdin;
        return cl.execute(args);
    }

    /** The configured command line, before execution (tests reach subcommands through it). */
    static CommandLine commandLine(java.io.PrintWriter out, java.io.PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        // sendmail's options are its own (-bs, -oi, -fuser): it parses everything after the verb.
        cl.getSubcommands().get(SendmailCommand.NAME).setStopAtUnmatched(true);
        addHelpOptions(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("postern: fatal: " + describe(ex));
            if (System.getenv("POSTERN_DEBUG") != null) {
                ex.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cl;
    }

    /** AtomicFile's temporary file beside its target: {@code .NAME.tmpPID-THREAD}. */
    private static final java.util.regex.Pattern ATOMIC_TEMP = java.util.regex.Pattern.compile("\\..+\\.tmp\\d+-\\d+");

    /**
     * The one line after "postern: fatal: ". A file system exception's message is its path alone
     * ("/proc/nope"), its reason in its class name: spelled out here, never the class name.
     */
    static String describe(Throwable ex) {
        Throwable e = ex instanceof java.io.UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
        if (e instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            String reason = e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.FileAlreadyExistsException ? "already exists"
                    : e instanceof java.nio.file.NotDirectoryException ? "not a directory"
                    : e instanceof java.nio.file.DirectoryNotEmptyException ? "directory not empty"
                    : f.getReason() != null ? f.getReason() : "file system error";
            return where(f) + ": " + reason;
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    /**
     * The paths as the user knows them. AtomicFile's temporary file is a name the user never gave:
     * renaming it failed because of the target (named alone); creating it, because of the
     * directory it was to be written in (missing or not writable: named instead).
     */
    private static String where(java.nio.file.FileSystemException f) {
        java.nio.file.Path p = java.nio.file.Path.of(f.getFile());
        boolean temp = p.getFileName() != null && p.getParent() != null
                && ATOMIC_TEMP.matcher(p.getFileName().toString()).matches();
        if (temp) {
            return f.getOtherFile() != null ? f.getOtherFile() : p.getParent().toString();
        }
        return f.getFile() + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile());
    }

    /**
     * {@code --help} (and {@code -h} where the command has no -h of its own) on every command and
     * subcommand, as picocli's mixinStandardHelpOptions would add, without clashing with options
     * such as sendmail's Postfix flags.
     */
    static void addHelpOptions(CommandLine cl) {
        CommandLine.Model.CommandSpec spec = cl.getCommandSpec();
        if (spec.findOption("--help") == null) {
            java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of("--help"));
            if (spec.findOption("-h") == null) {
                names.add(0, "-h");
            }
            spec.addOption(CommandLine.Model.OptionSpec.builder(names.toArray(String[]::new)).usageHelp(true)
                    .description("Show this help message and exit.").build());
        }
        cl.getSubcommands().values().forEach(Main::addHelpOptions);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'postern help'");
    }
}

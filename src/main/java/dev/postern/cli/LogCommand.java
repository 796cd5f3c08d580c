package dev.postern.cli;

import dev.postern.config.Config;
import dev.postern.config.ConfigLoader;
import dev.postern.log.MailLogRotation;
import dev.postern.log.MailLogSettings;
import dev.postern.server.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.concurrent.Callable;

/** {@code postern log rotate}: {@code postfix logrotate} for maillog_file users. */
@Command(name = "log", description = "Mail log tools: rotate (like postfix logrotate).",
        subcommands = {LogCommand.Rotate.class})
final class LogCommand implements Runnable {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: rotate (postern log --help)");
    }

    @Command(name = "rotate", description = {"Rename maillog_file to maillog_file.$maillog_file_rotate_suffix, let the "
            + "running daemon reopen it, then run $maillog_file_compressor on the renamed file (postfix logrotate)."})
    static final class Rotate implements Callable<Integer> {
        /** The daemon checks for a renamed log once a second; this leaves room for a busy machine. */
        private static final Duration REOPEN_WAIT = Duration.ofSeconds(30);

        @CommandLine.ParentCommand
        LogCommand log;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter err = spec.commandLine().getErr();
            Config config; // main.cf's values, checked, as postfix-script reads them with postconf -h
            try {
                config = ConfigLoader.load(log.parent.config.directory(spec.commandLine())).config();
            } catch (dev.postern.config.ConfigException e) {
                err.println("postern: fatal: " + e.getMessage());
                return 1;
            }
            MailLogSettings settings = MailLogSettings.from(config::get);
            PidFile pid = new PidFile(Path.of(config.get("queue_directory")));
            try {
                MailLogRotation.Result r = MailLogRotation.rotate(settings, ZonedDateTime.now(),
                        () -> pid.running().isPresent(), REOPEN_WAIT);
                spec.commandLine().getOut().println("postern: rotated " + settings.file() + " to "
                        + (r.compressed() != null ? r.compressed() : r.rotated()));
                return 0;
            } catch (IOException e) {
                err.println("postern: fatal: logfile '" + settings.file() + "' rotation failed: " + e.getMessage());
                return 1;
            }
        }
    }
}

package dev.postern.cli;

import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.server.PidFile;
import picocli.CommandLine;

import java.nio.file.Path;

/** Finds the queue directory and pid file of the configuration named by -c, even when the rest of the configuration is broken. */
final class Control {
    private Control() {}

    static PidFile pidFile(Main parent, CommandLine.Model.CommandSpec spec) {
        return new PidFile(queueDirectory(parent, spec));
    }

    static Path queueDirectory(Main parent, CommandLine.Model.CommandSpec spec) {
        Path dir = parent.config.directory(spec.commandLine());
        try {
            return ConfigLoader.queueDirectory(dir);
        } catch (ConfigException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}

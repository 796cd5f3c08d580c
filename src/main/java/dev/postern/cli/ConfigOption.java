package dev.postern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code -c CONFIG_DIR}, accepted before or after the verb (Postfix style); {@code --config} is
 * its long form, which the launcher (bin/postern) also skips when it looks for the verb.
 */
public final class ConfigOption {
    @Option(names = {"-c", "--config"}, paramLabel = "CONFIG_DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "configuration directory with main.cf and master.cf (default: /etc/postern)")
    Path dir;

    /** The directory, checked to exist so the user gets one clear line instead of a trace. */
    public Path directory(CommandLine cmd) {
        Path d = dir != null ? dir : Path.of(System.getenv().getOrDefault("POSTERN_CONFIG_DIR", "/etc/postern"));
        if (!Files.isDirectory(d)) {
            throw new CommandLine.ParameterException(cmd, "configuration directory " + d
                    + " does not exist: create it with main.cf and master.cf, or pass -c DIR"
                    + " (try 'postern demo' for a working example)");
        }
        return d;
    }
}

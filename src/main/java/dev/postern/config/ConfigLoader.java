package dev.postern.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code main.cf} and {@code master.cf} from a config directory with Postfix's syntax,
 * validates every value against its type, and runs {@link ConfigChecks}.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** Loads and validates; throws for errors (syntax, bad values, open relay, missing directory). */
    public static LoadedConfig load(Path configDirectory) throws ConfigException {
        if (!Files.isDirectory(configDirectory)) {
            throw new ConfigException(configDirectory.toString(), 0, "configuration directory does not exist",
                    "create it with main.cf and master.cf, or pass -c DIR");
        }
        Path mainCf = configDirectory.resolve("main.cf");
        Path masterCf = configDirectory.resolve("master.cf");
        if (!Files.isRegularFile(mainCf)) {
            throw new ConfigException(mainCf.toString(), 0, "file not found", "create main.cf (it may be empty)");
        }
        if (!Files.isRegularFile(masterCf)) {
            throw new ConfigException(masterCf.toString(), 0, "file not found",
                    "create master.cf with a line such as: 587 inet n - n - - smtpd");
        }
        List<String> warnings = new ArrayList<>();
        Map<String, Setting> settings = MainCfParser.parse(mainCf, warnings);
        List<MasterService> services = MasterCfParser.parse(masterCf, warnings);
        ParsedConfig config = new ParsedConfig(configDirectory.toAbsolutePath(), settings, services);
        ConfigChecks.run(config, warnings);
        return new LoadedConfig(config, warnings);
    }

    /**
     * Only queue_directory (where the pid file is), for stop and status: a main.cf or master.cf
     * edited into an invalid state while the daemon runs must not leave it impossible to stop.
     * main.cf is parsed but not validated, master.cf not read at all.
     */
    public static Path queueDirectory(Path configDirectory) throws ConfigException {
        if (!Files.isDirectory(configDirectory)) {
            throw new ConfigException(configDirectory.toString(), 0, "configuration directory does not exist",
                    "create it with main.cf and master.cf, or pass -c DIR");
        }
        Path mainCf = configDirectory.resolve("main.cf");
        Map<String, Setting> settings = Files.isRegularFile(mainCf) ? MainCfParser.parse(mainCf, new ArrayList<>()) : Map.of();
        return Path.of(new ParsedConfig(configDirectory.toAbsolutePath(), settings, List.of()).get("queue_directory"));
    }

    /**
     * main.cf and master.cf parsed (syntax errors throw) but not checked, for {@code postern conf}:
     * like postconf, it shows the values of a configuration that check would refuse, so that the
     * user can see what to fix. A missing master.cf counts as empty.
     */
    public static Config read(Path configDirectory) throws ConfigException {
        if (!Files.isDirectory(configDirectory)) {
            throw new ConfigException(configDirectory.toString(), 0, "configuration directory does not exist",
                    "create it with main.cf and master.cf, or pass -c DIR");
        }
        Path mainCf = configDirectory.resolve("main.cf");
        Path masterCf = configDirectory.resolve("master.cf");
        if (!Files.isRegularFile(mainCf)) {
            throw new ConfigException(mainCf.toString(), 0, "file not found", "create main.cf (it may be empty)");
        }
        List<String> ignored = new ArrayList<>();
        Map<String, Setting> settings = MainCfParser.parse(mainCf, ignored);
        List<MasterService> services = Files.isRegularFile(masterCf) ? MasterCfParser.parse(masterCf, ignored) : List.of();
        return new ParsedConfig(configDirectory.toAbsolutePath(), settings, services);
    }

    /**
     * The parameter defaults alone, as {@code postconf -d} shows them: no file is read, so this
     * works without a configuration directory.
     */
    public static Config defaults(Path configDirectory) {
        return new ParsedConfig(configDirectory.toAbsolutePath(), Map.of(), List.of());
    }

    /**
     * Every master.cf service line as its words (continuation lines joined), all services, also
     * those Postern ignores, for {@code postern conf -M} (postconf -M).
     */
    public static List<List<String>> masterCfRows(Path configDirectory) throws ConfigException {
        Path masterCf = configDirectory.resolve("master.cf");
        if (!Files.isRegularFile(masterCf)) {
            throw new ConfigException(masterCf.toString(), 0, "file not found",
                    "create master.cf with a line such as: 587 inet n - n - - smtpd");
        }
        return MasterCfParser.rows(masterCf).stream().map(MasterCfParser.Row::words).toList();
    }
}

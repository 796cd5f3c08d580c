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
}

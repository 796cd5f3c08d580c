package dev.postern.config;

import java.nio.file.Path;

/**
 * Reads {@code main.cf} and {@code master.cf} from a config directory with Postfix's syntax.
 * SKELETON: implemented by the config package owner.
 */
public final class ConfigLoader {
    private ConfigLoader() {}

    /** Loads and validates; throws for errors (syntax, bad values, missing directory). */
    public static LoadedConfig load(Path configDirectory) throws ConfigException {
        throw new ConfigException(configDirectory.toString(), 0, "not implemented yet", "");
    }
}

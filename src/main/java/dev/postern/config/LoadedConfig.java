package dev.postern.config;

import java.util.List;

/** A loaded configuration and the warnings found while loading it (each "file:line: text"). */
public record LoadedConfig(Config config, List<String> warnings) {
    public LoadedConfig {
        warnings = List.copyOf(warnings);
    }
}

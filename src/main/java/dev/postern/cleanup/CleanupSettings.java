package dev.postern.cleanup;

import dev.postern.config.Config;

/** What cleanup reads: the name for added Message-IDs and the size limits. */
public record CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit) {
    public static CleanupSettings from(Config c) {
        return new CleanupSettings(c.get("myhostname"), c.size("message_size_limit"), c.size("header_size_limit"));
    }
}

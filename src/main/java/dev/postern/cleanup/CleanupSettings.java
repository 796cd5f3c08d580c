package dev.postern.cleanup;

import dev.postern.checks.ContentCheckSettings;
import dev.postern.config.Config;

/**
 * What cleanup reads: the name for added Message-IDs, the size limits, queue_minfree,
 * hopcount_limit (Postfix's default 50) and the header and body checks.
 */
public record CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                              int hopcountLimit, ContentCheckSettings checks) {
    public CleanupSettings {
        checks = checks == null ? ContentCheckSettings.NONE : checks;
    }

    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                           int hopcountLimit) {
        this(myhostname, messageSizeLimit, headerSizeLimit, queueMinfree, hopcountLimit, ContentCheckSettings.NONE);
    }

    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree) {
        this(myhostname, messageSizeLimit, headerSizeLimit, queueMinfree, 50);
    }

    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit) {
        this(myhostname, messageSizeLimit, headerSizeLimit, 0);
    }

    public static CleanupSettings from(Config c) {
        return new CleanupSettings(c.get("myhostname"), c.size("message_size_limit"), c.size("header_size_limit"),
                c.size("queue_minfree"), c.integer("hopcount_limit"), ContentCheckSettings.from(c));
    }
}

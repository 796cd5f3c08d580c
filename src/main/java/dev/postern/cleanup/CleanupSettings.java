package dev.postern.cleanup;

import dev.postern.checks.ContentCheckSettings;
import dev.postern.config.Config;
import dev.postern.config.MasterService;
import dev.postern.rewrite.RewriteSettings;

import java.util.Map;
import java.util.TreeMap;

/**
 * What cleanup reads: the name for added Message-IDs, the size limits, queue_minfree,
 * hopcount_limit (Postfix's default 50) and the header and body checks of each cleanup service
 * ({@code checks}: by service name, always with {@value #DEFAULT_SERVICE}; a master.cf cleanup
 * line's -o over main.cf's values, as Postfix's cleanup processes read their own service's) and the
 * address rewriting, message_drop_headers, enable_original_recipient and always_add_missing_headers
 * (main.cf only).
 */
public record CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                              int hopcountLimit, Map<String, ContentCheckSettings> checks, RewriteSettings rewriting,
                              java.util.Set<String> dropHeaders, boolean enableOriginalRecipient,
                              boolean alwaysAddMissingHeaders) {
    /** Postfix's message_drop_headers default. */
    public static final java.util.Set<String> DROP_HEADERS = java.util.Set.of("bcc", "content-length", "resent-bcc", "return-path");

    /** Postfix's default cleanup_service_name: the service that exists without a master.cf line. */
    public static final String DEFAULT_SERVICE = "cleanup";

    public CleanupSettings {
        Map<String, ContentCheckSettings> m = new TreeMap<>(checks == null ? Map.of() : checks);
        m.putIfAbsent(DEFAULT_SERVICE, ContentCheckSettings.NONE);
        checks = java.util.Collections.unmodifiableMap(m);
        rewriting = rewriting == null ? RewriteSettings.NONE : rewriting;
        dropHeaders = dropHeaders == null ? DROP_HEADERS
                : java.util.Set.copyOf(dropHeaders.stream().map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList());
    }

    /** Without address rewriting. */
    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                           int hopcountLimit, Map<String, ContentCheckSettings> checks) {
        this(myhostname, messageSizeLimit, headerSizeLimit, queueMinfree, hopcountLimit, checks, RewriteSettings.NONE, null);
    }

    /** With enable_original_recipient = yes and always_add_missing_headers = no, Postfix's defaults. */
    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                           int hopcountLimit, Map<String, ContentCheckSettings> checks, RewriteSettings rewriting,
                           java.util.Set<String> dropHeaders) {
        this(myhostname, messageSizeLimit, headerSizeLimit, queueMinfree, hopcountLimit, checks, rewriting, dropHeaders, true,
                false);
    }

    /** One cleanup service with these checks. */
    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                           int hopcountLimit, ContentCheckSettings checks) {
        this(myhostname, messageSizeLimit, headerSizeLimit, queueMinfree, hopcountLimit, Map.of(DEFAULT_SERVICE, checks));
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
        Map<String, ContentCheckSettings> checks = new TreeMap<>();
        checks.put(DEFAULT_SERVICE, ContentCheckSettings.from(c));
        for (MasterService s : c.services()) {
            if (s.isCleanup()) {
                checks.put(s.name(), ContentCheckSettings.from(c.forService(s)));
            }
        }
        return new CleanupSettings(c.get("myhostname"), c.size("message_size_limit"), c.size("header_size_limit"),
                c.size("queue_minfree"), c.integer("hopcount_limit"), checks, RewriteSettings.from(c),
                java.util.Set.copyOf(c.list("message_drop_headers")), c.bool("enable_original_recipient"),
                c.bool("always_add_missing_headers"));
    }
}

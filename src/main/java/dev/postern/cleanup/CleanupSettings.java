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
 * line's -o over main.cf's values, as Postfix's cleanup processes read their own service's), the
 * address rewriting ({@code rewriting}: main.cf's, the default service's; {@code serviceRewriting}:
 * a cleanup line's whose -o changes it, see {@link RewriteSettings#forCleanupService}), and
 * message_drop_headers, enable_original_recipient and always_add_missing_headers (main.cf only).
 */
public record CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                              int hopcountLimit, Map<String, ContentCheckSettings> checks, RewriteSettings rewriting,
                              java.util.Set<String> dropHeaders, boolean enableOriginalRecipient,
                              boolean alwaysAddMissingHeaders, Map<String, RewriteSettings> serviceRewriting) {
    /** Postfix's message_drop_headers default. */
    public static final java.util.Set<String> DROP_HEADERS = java.util.Set.of("bcc", "content-length", "resent-bcc", "return-path");

    /** Postfix's default cleanup_service_name: the service that exists without a master.cf line. */
    public static final String DEFAULT_SERVICE = "cleanup";

    public CleanupSettings {
        Map<String, ContentCheckSettings> m = new TreeMap<>(checks == null ? Map.of() : checks);
        m.putIfAbsent(DEFAULT_SERVICE, ContentCheckSettings.NONE);
        checks = java.util.Collections.unmodifiableMap(m);
        rewriting = rewriting == null ? RewriteSettings.NONE : rewriting;
        serviceRewriting = serviceRewriting == null ? Map.of() : Map.copyOf(serviceRewriting);
        dropHeaders = dropHeaders == null ? DROP_HEADERS
                : java.util.Set.copyOf(dropHeaders.stream().map(h -> h.toLowerCase(java.util.Locale.ROOT)).toList());
    }

    /** Every cleanup service with main.cf's rewriting. */
    public CleanupSettings(String myhostname, long messageSizeLimit, long headerSizeLimit, long queueMinfree,
                           int hopcountLimit, Map<String, ContentCheckSettings> checks, RewriteSettings rewriting,
                           java.util.Set<String> dropHeaders, boolean enableOriginalRecipient, boolean alwaysAddMissingHeaders) {
        this(myhostname, messageSizeLimit, headerSizeLimit, queueMinfree, hopcountLimit, checks, rewriting, dropHeaders,
                enableOriginalRecipient, alwaysAddMissingHeaders, Map.of());
    }

    /** A cleanup service's address rewriting: its line's, or main.cf's. */
    public RewriteSettings rewritingOf(String service) {
        return serviceRewriting.getOrDefault(service, rewriting);
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
        RewriteSettings main = RewriteSettings.from(c);
        Map<String, RewriteSettings> serviceRewriting = new TreeMap<>();
        for (MasterService s : c.services()) {
            if (s.isCleanup()) {
                Config sc = c.forService(s);
                checks.put(s.name(), ContentCheckSettings.from(sc));
                RewriteSettings r;
                try {
                    r = RewriteSettings.forCleanupService(main, sc);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("cleanup service " + s.name() + ": " + e.getMessage(), e);
                }
                if (!r.equals(main)) {
                    serviceRewriting.put(s.name(), r);
                }
            }
        }
        return new CleanupSettings(c.get("myhostname"), c.size("message_size_limit"), c.size("header_size_limit"),
                c.size("queue_minfree"), c.integer("hopcount_limit"), checks, main,
                java.util.Set.copyOf(c.list("message_drop_headers")), c.bool("enable_original_recipient"),
                c.bool("always_add_missing_headers"), serviceRewriting);
    }
}

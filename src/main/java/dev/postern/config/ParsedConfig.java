package dev.postern.config;

import dev.postern.util.Sizes;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@link Config} built from main.cf and master.cf: explicit settings (main.cf, then a service's
 * -o overrides) over {@link Params} defaults, expanded on access.
 */
final class ParsedConfig implements Config {
    private final Path directory;
    private final Map<String, Setting> settings;
    private final List<MasterService> services;

    ParsedConfig(Path directory, Map<String, Setting> settings, List<MasterService> services) {
        this.directory = directory;
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        this.services = List.copyOf(services);
    }

    @Override
    public String raw(String name) {
        Setting s = settings.get(name);
        if (s != null) {
            return s.value();
        }
        switch (name) {
            case "config_directory":
                return directory.toString();
            case "mail_version": {
                String v = ParsedConfig.class.getPackage().getImplementationVersion();
                return v != null ? v : Params.get(name).defaultValue();
            }
            case "myhostname": {
                // mail_params.c check_myhostname(): gethostname(), and a name without a dot gets
                // ".$mydomain" (as set in main.cf) or ".localdomain". No DNS: "IT MAKES EVERY POSTFIX
                // PROGRAM HANG WHEN DNS SERVICE IS UNAVAILABLE".
                String h = systemHostname();
                if (h.indexOf('.') >= 0) {
                    return h;
                }
                return h + "." + (settings.containsKey("mydomain") ? configuredMydomain() : "localdomain");
            }
            case "mydomain": {
                String host = get("myhostname");
                int dot = host.indexOf('.');
                return dot > 0 && dot < host.length() - 1 ? host.substring(dot + 1) : "localdomain";
            }
            default:
                Param p = Params.get(name);
                if (p == null) { // isp_destination_concurrency_limit for a master.cf transport isp: $default_...
                    p = TransportParams.of(name, TransportParams.transports(this));
                }
                return p == null ? "" : p.defaultValue();
        }
    }

    /** Set while mydomain is expanded for the myhostname default: a mydomain that leads back to $myhostname ends there. */
    private static final ThreadLocal<Boolean> EXPANDING_MYDOMAIN = ThreadLocal.withInitial(() -> false);

    /** main.cf's mydomain, expanded; "localdomain" when empty or when it refers back to $myhostname. */
    private String configuredMydomain() {
        if (EXPANDING_MYDOMAIN.get()) {
            throw new IllegalArgumentException("mydomain refers to $myhostname, whose default needs mydomain");
        }
        EXPANDING_MYDOMAIN.set(true);
        try {
            String d = stripDot(get("mydomain"));
            return d.isEmpty() ? "localdomain" : d;
        } catch (IllegalArgumentException cycle) {
            return "localdomain";
        } finally {
            EXPANDING_MYDOMAIN.set(false);
        }
    }

    private static String stripDot(String name) {
        String n = name.strip();
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static volatile String cachedHostname;

    private static String systemHostname() {
        String h = cachedHostname;
        if (h == null) {
            h = lookupHostname();
            cachedHostname = h;
        }
        return h;
    }

    /**
     * The kernel's host name (gethostname(2)), as Postfix, without a trailing dot; "localhost" for
     * none (an unset kernel name reads "(none)"). InetAddress only where there is no Linux /proc
     * (it may resolve the name).
     */
    private static String lookupHostname() {
        try {
            String h = stripDot(java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")));
            return h.isEmpty() || h.equals("(none)") ? "localhost" : h.toLowerCase(Locale.ROOT);
        } catch (Exception e) {
            // not Linux: below
        }
        try {
            String h = InetAddress.getLocalHost().getHostName();
            return h == null || h.isEmpty() ? "localhost" : h.toLowerCase(Locale.ROOT);
        } catch (Exception e) {
            return "localhost";
        }
    }

    @Override
    public String get(String name) {
        return new Expander(this::raw).expandName(name).strip();
    }

    @Override
    public boolean bool(String name) {
        return Values.truth(get(name));
    }

    @Override
    public int integer(String name) {
        return Integer.parseInt(get(name));
    }

    @Override
    public long size(String name) {
        return Sizes.parse(get(name));
    }

    @Override
    public Duration duration(String name) {
        return Values.duration(Params.get(name), get(name));
    }

    @Override
    public List<String> list(String name) {
        return Lists.split(get(name));
    }

    @Override
    public boolean isSet(String name) {
        return settings.containsKey(name);
    }

    @Override
    public String origin(String name) {
        Setting s = settings.get(name);
        return s == null ? "default" : s.origin();
    }

    @Override
    public Path configDirectory() {
        return directory;
    }

    @Override
    public List<MasterService> services() {
        return services;
    }

    @Override
    public Config forService(MasterService service) {
        Map<String, Setting> merged = new LinkedHashMap<>(settings);
        // What Postfix's master gives each daemon (-n service -s ...): -o syslog_name=postfix/$service_name works.
        merged.put("service_name", new Setting("service_name", service.name(), service.file(), service.line()));
        merged.put("process_name", new Setting("process_name", service.command(), service.file(), service.line()));
        service.overrides().forEach((k, v) -> merged.put(k, new Setting(k, v, service.file(), service.line())));
        return new ParsedConfig(directory, merged, services);
    }

    @Override
    public Config underStress() {
        Map<String, Setting> merged = new LinkedHashMap<>(settings);
        merged.put("stress", new Setting("stress", "yes", "master", 0));
        return new ParsedConfig(directory, merged, services);
    }

    Map<String, Setting> settings() {
        return settings;
    }

    @Override
    public Map<String, String> explicitValues() {
        Map<String, String> m = new TreeMap<>();
        settings.forEach((k, s) -> m.put(k, s.value()));
        return Collections.unmodifiableMap(m);
    }
}

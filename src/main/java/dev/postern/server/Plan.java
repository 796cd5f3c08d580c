package dev.postern.server;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.LoadedConfig;
import dev.postern.config.MasterService;
import dev.postern.smtpd.Smtpd;
import dev.postern.smtpd.SmtpdSettings;
import dev.postern.tls.TlsSetupException;
import dev.postern.smtp.SaslSettings;
import dev.postern.smtp.SmtpClientSettings;
import dev.postern.smtp.SmtpDeliveryAgent;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated configuration and the listeners it asks for: what {@code postern check} reports and
 * what {@link Server#start} builds.
 */
public record Plan(Config config, List<String> warnings, List<Listener> listeners) {

    /**
     * {@code processLimit}: master.cf maxproc ("-" = default_process_limit; 0 = no limit);
     * {@code tlsLibrary}: which code will do its TLS ({@code TlsServer.library()}), null without TLS.
     */
    public record Listener(MasterService service, SmtpdSettings settings, List<InetSocketAddress> addresses,
                           int processLimit, String tlsLibrary) {
    }

    /**
     * Every cleanup_service_name (each smtpd service's, pickup's) names a master.cf cleanup line,
     * or is "cleanup", which exists without one: mail must never be queued without the checks its
     * service was given.
     */
    private static void checkCleanupServices(Config c, List<Listener> listeners) throws ConfigException {
        java.util.Set<String> names = new java.util.TreeSet<>(java.util.Set.of(dev.postern.cleanup.CleanupSettings.DEFAULT_SERVICE));
        c.services().stream().filter(MasterService::isCleanup).forEach(s -> names.add(s.name()));
        for (Listener l : listeners) {
            String name = l.settings().cleanupService();
            if (!names.contains(name)) {
                throw at(c.forService(l.service()), "cleanup_service_name", l.service(), "service " + l.service().name()
                        + ": cleanup_service_name = " + name + ": no master.cf service " + name + " runs cleanup",
                        "add a line \"" + name + " unix n - y - 0 cleanup\" (with its -o header_checks=...), or name one of: "
                        + String.join(", ", names));
            }
        }
        String pickup = dev.postern.pickup.PickupSettings.from(c).cleanupService();
        if (!names.contains(pickup)) {
            throw at(dev.postern.pickup.PickupSettings.configFor(c), "cleanup_service_name",
                    dev.postern.pickup.PickupSettings.line(c).orElse(null), "pickup: cleanup_service_name = " + pickup
                            + ": no master.cf service " + pickup + " runs cleanup",
                    "add a line \"" + pickup + " unix n - y - 0 cleanup\", or name one of: " + String.join(", ", names));
        }
    }

    /**
     * A header or body check table that cannot be opened, at the line that names it: main.cf's, or
     * the -o of the master.cf cleanup line ("cleanup service NAME: PARAM: ..." for one of the user's,
     * "PARAM: ..." for the default cleanup, which may have a line of its own).
     */
    private static ConfigException cleanupTableError(Config c, String m) {
        String service = dev.postern.cleanup.CleanupSettings.DEFAULT_SERVICE;
        String rest = m;
        if (m.startsWith("cleanup service ")) {
            int colon = m.indexOf(": ");
            service = m.substring("cleanup service ".length(), colon);
            rest = m.substring(colon + 2);
        }
        String parameter = rest.substring(0, Math.max(0, rest.indexOf(':')));
        String name = service;
        MasterService line = c.services().stream().filter(s -> s.isCleanup() && s.name().equals(name)).findFirst().orElse(null);
        return at(line == null ? c : c.forService(line), parameter, line, m, "fix the table named above");
    }

    static Plan of(LoadedConfig loaded) throws ConfigException {
        Config c = loaded.config();
        List<Listener> listeners = new ArrayList<>();
        for (MasterService s : c.services()) {
            if (!s.isSmtpd()) {
                continue;
            }
            Config sc = c.forService(s);
            SmtpdSettings settings;
            String tlsLibrary;
            try {
                settings = SmtpdSettings.from(sc, c, "smtpd");
                tlsLibrary = Smtpd.validate(settings);
            } catch (TlsSetupException e) {
                throw at(sc, e.parameter(), s, "service " + s.name() + ": " + e.problem(), e.fix());
            } catch (IllegalArgumentException e) {
                // "parameter: problem": at the line that sets the parameter (main.cf or the -o), else the service's
                String m = e.getMessage();
                int colon = m.indexOf(": ");
                String parameter = colon > 0 && dev.postern.config.Params.known(m.substring(0, colon)) ? m.substring(0, colon) : null;
                throw at(sc, parameter, s, "service " + s.name() + ": " + m, "");
            }
            List<java.net.InetSocketAddress> addresses;
            try {
                addresses = ListenAddresses.of(s, sc.list("inet_interfaces"), sc.get("inet_protocols"));
            } catch (ConfigException e) {
                if (!e.problem().startsWith(ListenAddresses.INET_INTERFACES)) {
                    throw e;
                }
                throw at(sc, "inet_interfaces", s, "service " + s.name() + ": " + e.problem(), e.fix());
            }
            listeners.add(new Listener(s, settings, addresses, processLimit(s, sc), tlsLibrary));
        }
        for (MasterService s : c.services()) {
            if (s.isSmtpTransport()) {
                // Its maxproc caps the transport's deliveries at once (QmgrSettings); a value that is no
                // process count is an error, as Postfix's master refuses it (master_ent.c).
                processLimit(s, c);
            }
        }
        MetricsEndpoint.metricsFor(c); // postern_metrics_listen: a bad address fails check as it would fail start
        List<String> warnings = new ArrayList<>(loaded.warnings());
        java.util.Set<String> certWarnings = new java.util.LinkedHashSet<>(); // services often share the files
        for (Listener l : listeners) {
            certWarnings.addAll(l.settings().authExternalWarnings());
            certWarnings.addAll(l.settings().discardEhloWarnings());
            if (l.settings().tls() != null) {
                certWarnings.addAll(dev.postern.tls.ServerCertificateLint.warnings(l.settings().tls(), l.settings().myhostname(),
                        java.time.Instant.now()));
                dev.postern.tls.KeyFilePermissions.warning("smtpd_tls_key_file", l.settings().tls().keyFile())
                        .ifPresent(certWarnings::add);
            }
        }
        String clientKey = c.get("smtp_tls_key_file");
        if (!c.get("smtp_tls_cert_file").isBlank() && !clientKey.isBlank()) {
            dev.postern.tls.KeyFilePermissions.warning("smtp_tls_key_file", java.nio.file.Path.of(clientKey))
                    .ifPresent(certWarnings::add);
        }
        warnings.addAll(certWarnings);
        // The SMTP client: SMTP AUTH settings, then TLS files, levels (main.cf and each
        // smtp_tls_policy_maps line) and lookups, each error named by file and line.
        try {
            warnings.addAll(SmtpClientSettings.from(c).sasl().warnings());
        } catch (SaslSettings.Invalid e) {
            throw at(c, e.parameter(), null, "SMTP client: " + e.problem(), e.fix());
        } catch (IllegalArgumentException e) {
            // not SMTP AUTH: validate() reports it with its file and line
        }
        warnings.addAll(SmtpDeliveryAgent.validate(c)); // and smtp_*_checks tables that cannot answer now
        java.util.Set<String> transports = new java.util.TreeSet<>(MasterService.BUILT_IN_TRANSPORTS);
        for (MasterService s : c.services()) {
            if (s.isSmtpTransport() && !(s.isBuiltInTransport() && s.overrides().isEmpty())) { // else main.cf's, checked above
                transports.add(s.name());
                warnings.addAll(checkTransport(c, s, warnings));
            }
        }
        warnings.addAll(ContentFilterCheck.check(c, transports));
        try {
            dev.postern.qmgr.Router router = new dev.postern.qmgr.Router(dev.postern.qmgr.RouterSettings.from(c));
            warnings.addAll(router.unavailableTables());
            warnings.addAll(router.unknownTransports(transports));
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw at(c, m.substring(0, Math.max(0, m.indexOf(':'))), null, m, "fix the table named above");
        }
        checkCleanupServices(c, listeners);
        java.nio.file.Path queue = java.nio.file.Path.of(c.get("queue_directory"));
        if (java.nio.file.Files.exists(queue) && !java.nio.file.Files.isDirectory(queue)) {
            // start would create the spool's directories under it and fail; the queue tools too
            throw at(c, "queue_directory", null, "queue_directory " + queue + " is not a directory",
                    "name a directory (it is made at start when missing)");
        }
        try { // header_checks, mime_header_checks, nested_header_checks, body_checks
            warnings.addAll(dev.postern.cleanup.Cleanup.validate(dev.postern.cleanup.CleanupSettings.from(c)));
        } catch (IllegalArgumentException e) {
            throw cleanupTableError(c, e.getMessage());
        }
        if (listeners.isEmpty()) {
            throw new ConfigException("master.cf", 0, "no inet service runs smtpd",
                    "add a line such as: 587 inet n - n - - smtpd");
        }
        return new Plan(c, List.copyOf(warnings), List.copyOf(listeners));
    }

    /**
     * A master.cf transport's SMTP client, checked as main.cf's is (SMTP AUTH, TLS files, levels,
     * policy tables, lookups), with its -o overrides: an error names the line that set the value
     * (master.cf:N for an -o, main.cf:N otherwise) and the transport. Returns its warnings not
     * already among {@code known} (most come from main.cf and were reported for smtp).
     */
    private static List<String> checkTransport(Config c, MasterService s, List<String> known) throws ConfigException {
        Config sc = c.forService(s);
        String prefix = "transport " + s.name() + ": ";
        List<String> out = new ArrayList<>();
        try {
            for (String w : SmtpClientSettings.from(sc).sasl().warnings()) {
                if (!known.contains(w)) {
                    out.add(prefix + w);
                }
            }
        } catch (SaslSettings.Invalid e) {
            throw at(sc, e.parameter(), s, prefix + "SMTP client: " + e.problem(), e.fix());
        } catch (IllegalArgumentException e) {
            // not SMTP AUTH: validate() reports it with its file and line
        }
        try {
            for (String w : SmtpDeliveryAgent.validate(sc)) {
                if (!known.contains(w)) {
                    out.add(prefix + w);
                }
            }
        } catch (ConfigException e) {
            throw e.prefixed(prefix);
        }
        String key = sc.get("smtp_tls_key_file");
        if (s.overrides().containsKey("smtp_tls_key_file") || s.overrides().containsKey("smtp_tls_cert_file")) {
            if (!sc.get("smtp_tls_cert_file").isBlank() && !key.isBlank()) {
                dev.postern.tls.KeyFilePermissions.warning("smtp_tls_key_file", java.nio.file.Path.of(key))
                        .ifPresent(w -> out.add(prefix + w));
            }
        }
        return out;
    }

    private static int processLimit(MasterService s, Config sc) throws ConfigException {
        String v = s.maxproc();
        if (v.equals("-")) {
            v = sc.get("default_process_limit");
        }
        try {
            // Digits only, as Postfix's master (get_int_ent): parseInt would also take "+5", which
            // QmgrSettings, reading \d+ only, would then treat as no cap.
            if (v.matches("\\d{1,10}")) {
                return Integer.parseInt(v);
            }
        } catch (NumberFormatException ignored) {
            // over Integer.MAX_VALUE: reported below
        }
        throw s.maxproc().equals("-")
                ? at(sc, "default_process_limit", s, "default_process_limit = " + v + " is not a process count",
                        "use a whole number, 0 for no limit")
                : new ConfigException(s.file(), s.line(), "service " + s.name() + ": maxproc \"" + v + "\" is not a process count",
                        "use a whole number, 0 for no limit, or - for default_process_limit");
    }

    /**
     * An error placed where the user set the parameter at fault (main.cf:N, or master.cf:N for a -o
     * override); at the service line, or main.cf, when it has its default value.
     */
    static ConfigException at(Config c, String parameter, MasterService service, String problem, String fix) {
        String origin = parameter == null ? "default" : c.origin(parameter);
        int colon = origin.lastIndexOf(':');
        if (!origin.equals("default") && colon > 0) {
            try {
                return new ConfigException(origin.substring(0, colon), Integer.parseInt(origin.substring(colon + 1)), problem, fix);
            } catch (NumberFormatException ignored) {
                // not file:line; fall through
            }
        }
        return service != null ? new ConfigException(service.file(), service.line(), problem, fix)
                : new ConfigException("main.cf", 0, problem, fix);
    }
}

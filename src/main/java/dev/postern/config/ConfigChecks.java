package dev.postern.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Postfix checks silently or not at all, checked loudly: value types and Postfix's bounds,
 * unknown parameter names (with the closest known name), parameters set but not implemented, the
 * mail relay safety rule, and TLS settings that cancel each other out. Errors throw
 * {@link ConfigException} naming file:line; the rest are warnings.
 */
final class ConfigChecks {
    private static final Set<String> RELAY_GUARDS = Set.of("reject_unauth_destination", "defer_unauth_destination",
            "reject", "defer", "defer_if_permit", "check_relay_domains");
    /** The notify_classes Postern sends notices for; Postfix's others are accepted and warned about. */
    private static final Set<String> NOTIFY_CLASSES_SENT = Set.of("bounce", "2bounce", "delay");
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{?\\(?([A-Za-z0-9_]+)");

    private ConfigChecks() {}

    static void run(ParsedConfig c, List<String> warnings) throws ConfigException {
        Set<String> referenced = referencedNames(c);
        List<String> transports = TransportParams.transports(c);
        for (Setting s : c.settings().values()) {
            checkSetting(c, s, referenced, transports, warnings);
        }
        checkQueueTimes(c, warnings);
        for (MasterService service : c.services()) {
            ParsedConfig sc = (ParsedConfig) c.forService(service);
            for (Map.Entry<String, String> o : service.overrides().entrySet()) {
                Setting s = new Setting(o.getKey(), o.getValue(), service.file(), service.line());
                if (service.isSmtpTransport()) {
                    checkTransportOverride(sc, service, s, referenced, transports, warnings);
                    continue;
                }
                if (service.isPickup()) {
                    checkPickupOverride(sc, s, referenced, transports, warnings);
                    continue;
                }
                if (service.isCleanup()) {
                    checkCleanupOverride(sc, service, s, referenced, transports, warnings);
                    continue;
                }
                checkSetting(sc, s, referenced, transports, warnings);
                Param p = Params.get(o.getKey());
                if (p != null && p.status() == Param.Status.IMPLEMENTED && !Params.perService(p.name())) {
                    warnings.add(service.origin() + ": -o " + p.name() + "=" + o.getValue() + " has no effect: Postern reads "
                            + p.name() + " once for the whole server, from main.cf");
                }
            }
            if (service.command().equals("smtpd")) {
                checkSmtpd(c, sc, service, warnings);
            }
        }
    }

    private static Set<String> referencedNames(ParsedConfig c) {
        Set<String> names = new java.util.HashSet<>();
        List<String> values = new ArrayList<>();
        c.settings().values().forEach(s -> values.add(s.value()));
        c.services().forEach(s -> values.addAll(s.overrides().values()));
        for (String v : values) {
            Matcher m = REFERENCE.matcher(v);
            while (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    /**
     * An -o on a delivery transport's line: validated as the same setting in main.cf would be, but an
     * unknown name is an error (a misspelt smtp_* name there would silently change where or how mail
     * goes), and a parameter the SMTP client does not read is warned about, as for smtpd services.
     */
    private static void checkTransportOverride(ParsedConfig sc, MasterService service, Setting s, Set<String> referenced,
                                               List<String> transports, List<String> warnings) throws ConfigException {
        Param p = param(s.name(), transports);
        if (p == null && !PostfixParameterNames.contains(s.name()) && !referenced.contains(s.name())) {
            String near = Suggest.closest(s.name(), Params.all().keySet());
            throw new ConfigException(s.file(), s.line(), "transport " + service.name() + ": unknown parameter \"" + s.name()
                    + "\" in -o " + s.name() + "=" + s.value(), near == null
                    ? "remove it; docs/parameters.md lists the parameters (smtp_* ones apply per transport)"
                    : "did you mean \"" + near + "\"?");
        }
        checkSetting(sc, s, referenced, transports, warnings);
        if (p != null && p.status() == Param.Status.IMPLEMENTED && !Params.perTransport(p.name())) {
            warnings.add(s.origin() + ": -o " + p.name() + "=" + s.value() + " has no effect on transport " + service.name()
                    + ": its SMTP client does not read " + p.name() + (Params.perService(p.name()) ? ""
                    : " (Postern reads it once for the whole server, from main.cf)"));
        }
    }

    /**
     * An -o on the pickup line, as on a transport's: an unknown name is an error (a misspelt
     * content_filter there would let local mail bypass the filter), and a parameter pickup does not
     * read from its line ({@link Params#perPickup}) is warned about.
     */
    private static void checkPickupOverride(ParsedConfig sc, Setting s, Set<String> referenced, List<String> transports,
                                            List<String> warnings) throws ConfigException {
        Param p = param(s.name(), transports);
        if (p == null && !PostfixParameterNames.contains(s.name()) && !referenced.contains(s.name())) {
            String near = Suggest.closest(s.name(), Params.all().keySet());
            throw new ConfigException(s.file(), s.line(), "pickup: unknown parameter \"" + s.name() + "\" in -o "
                    + s.name() + "=" + s.value(), near == null
                    ? "remove it; the pickup line applies -o content_filter and syslog_name"
                    : "did you mean \"" + near + "\"?");
        }
        checkSetting(sc, s, referenced, transports, warnings);
        if (p != null && p.status() == Param.Status.IMPLEMENTED && !Params.perPickup(p.name())) {
            warnings.add(s.origin() + ": -o " + p.name() + "=" + s.value() + " has no effect on the pickup line: pickup"
                    + " does not read " + p.name() + " (Postern reads it from main.cf" + (Params.perService(p.name())
                    ? " or an smtpd line's -o" : "") + ")");
        }
    }

    /**
     * An -o on a cleanup line, as on the pickup line: an unknown name is an error (a misspelt
     * header_checks would let mail through unchecked), and a parameter Postern's cleanup does not
     * read from its line ({@link Params#perCleanup}) is warned about.
     */
    private static void checkCleanupOverride(ParsedConfig sc, MasterService service, Setting s, Set<String> referenced,
                                             List<String> transports, List<String> warnings) throws ConfigException {
        Param p = param(s.name(), transports);
        if (p == null && !PostfixParameterNames.contains(s.name()) && !referenced.contains(s.name())) {
            String near = Suggest.closest(s.name(), Params.all().keySet());
            throw new ConfigException(s.file(), s.line(), "cleanup service " + service.name() + ": unknown parameter \""
                    + s.name() + "\" in -o " + s.name() + "=" + s.value(), near == null
                    ? "remove it; a cleanup line applies -o header_checks, body_checks and the other header and body check"
                    + " parameters, and canonical_maps, virtual_alias_maps and the other address rewriting tables"
                    : "did you mean \"" + near + "\"?");
        }
        checkSetting(sc, s, referenced, transports, warnings);
        if (p != null && p.status() == Param.Status.IMPLEMENTED && !Params.perCleanup(p.name())) {
            warnings.add(s.origin() + ": -o " + p.name() + "=" + s.value() + " has no effect on cleanup service "
                    + service.name() + ": Postern's cleanup reads " + p.name() + " from main.cf"
                    + (Params.perService(p.name()) ? " (or an smtpd line's -o)" : ""));
        }
    }

    /** A declared parameter, or a per-transport one of a master.cf transport; null when neither. */
    private static Param param(String name, List<String> transports) {
        Param p = Params.get(name);
        return p != null ? p : TransportParams.of(name, transports);
    }

    private static void checkSetting(ParsedConfig c, Setting s, Set<String> referenced, List<String> transports,
                                     List<String> warnings) throws ConfigException {
        Param p = param(s.name(), transports);
        if (p == null) {
            if (PostfixParameterNames.contains(s.name())) {
                warnings.add(s.origin() + ": parameter \"" + s.name() + "\" is a Postfix parameter that Postern does not"
                        + " implement; " + (referenced.contains(s.name()) ? "its value is used only where $" + s.name() + " refers to it"
                        : "it has no effect"));
            } else if (!referenced.contains(s.name())) { // else a name of the user's own, used as $name (as in Postfix)
                String near = Suggest.closest(s.name(), Params.all().keySet());
                warnings.add(s.origin() + ": unknown parameter \"" + s.name() + "\""
                        + (near == null ? " (ignored)" : "; did you mean \"" + near + "\"?"));
            }
            return;
        }
        String value;
        try {
            value = c.get(s.name());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(s.file(), s.line(), s.name() + ": " + e.getMessage(), "fix the $name references");
        }
        Values.Problem problem = Values.check(p, value);
        if (problem != null) {
            throw new ConfigException(s.file(), s.line(), problem.problem(), problem.fix());
        }
        String unused = unhonoured(p, value);
        if (unused != null) {
            warnings.add(s.origin() + ": " + unused);
        }
        if (s.name().equals("smtpd_tls_security_level")) {
            checkSmtpdTlsLevel(s, value, warnings);
        }
        if (s.name().equals("smtp_tls_session_cache_database") && !value.isBlank()) {
            warnings.add(s.origin() + ": " + sessionCacheNote(c, value));
        }
        if (s.name().equals("mynetworks_style") && value.equals("class") && c.get("mynetworks").isEmpty()) {
            warnings.add(s.origin() + ": mynetworks_style = class is not implemented: Postern uses subnet (the networks of"
                    + " this host's interfaces), not their whole class A, B or C networks");
        }
        if (s.name().equals("notify_classes")) {
            List<String> silent = Lists.split(value).stream().filter(w -> !NOTIFY_CLASSES_SENT.contains(w)).distinct().toList();
            if (!silent.isEmpty()) {
                warnings.add(s.origin() + ": notify_classes: " + String.join(", ", silent) + (silent.size() == 1 ? " is" : " are")
                        + " not implemented; the postmaster gets no notice for " + (silent.size() == 1 ? "it" : "them")
                        + " (Postern sends bounce, 2bounce and delay notices)");
            }
        }
    }

    /**
     * Nothing configurable is silently ignored: Postfix's tlsmgr keeps the SMTP client's TLS
     * sessions in the table named; Postern keeps them in memory and never opens it.
     */
    private static String sessionCacheNote(ParsedConfig c, String table) {
        String timeout;
        try {
            java.time.Duration d = c.duration("smtp_tls_session_cache_timeout");
            timeout = d.isZero() || d.isNegative() ? null : Math.max(120, d.toSeconds()) + "s";
        } catch (IllegalArgumentException e) {
            timeout = "smtp_tls_session_cache_timeout"; // a bad value: reported on its own line
        }
        String head = "smtp_tls_session_cache_database = " + table + ": ";
        if (timeout == null) {
            return head + "smtp_tls_session_cache_timeout = 0 turns the SMTP client's TLS session cache off, as in Postfix;"
                    + " the table is never opened";
        }
        return head + "Postern keeps the SMTP client's TLS sessions in memory (each transport its own) for " + timeout
                + "; the table is never opened, and cached sessions are lost at restart and reload";
    }

    /**
     * smtpd.c: none, may and encrypt; verify, secure and fingerprint are client-side levels that
     * smtpd runs as encrypt, with Postfix's warning; anything else (dane, typos) is fatal, as in Postfix.
     */
    private static void checkSmtpdTlsLevel(Setting s, String value, List<String> warnings) throws ConfigException {
        String level = value.toLowerCase(Locale.ROOT);
        if (level.matches("verify|secure|fingerprint")) {
            warnings.add(s.origin() + ": smtpd_tls_security_level: unsupported TLS level \"" + value + "\", using \"encrypt\"");
        } else if (!level.matches("|none|may|encrypt")) {
            throw new ConfigException(s.file(), s.line(), "Invalid TLS level \"" + value + "\" for smtpd_tls_security_level",
                    "use none, may or encrypt");
        }
    }

    /**
     * Two pairs Postfix adjusts without refusing: a retry waits at least minimal_backoff_time even
     * when that is more than maximal_backoff_time (qmgr_active.c clamps to the maximum first, then
     * the minimum), and bounce_queue_lifetime is cut to maximal_queue_lifetime (qmgr.c's warning).
     * Postfix says nothing of the first; Postern says both.
     */
    private static void checkQueueTimes(ParsedConfig c, List<String> warnings) {
        if (c.duration("minimal_backoff_time").compareTo(c.duration("maximal_backoff_time")) > 0) {
            warnings.add(setOne(c, "minimal_backoff_time", "maximal_backoff_time") + ": minimal_backoff_time = "
                    + c.get("minimal_backoff_time") + " (" + c.origin("minimal_backoff_time") + ")"
                    + " is more than maximal_backoff_time = " + c.get("maximal_backoff_time") + " ("
                    + c.origin("maximal_backoff_time") + "): every retry waits minimal_backoff_time, as in Postfix;"
                    + " make maximal_backoff_time at least minimal_backoff_time");
        }
        if (c.duration("bounce_queue_lifetime").compareTo(c.duration("maximal_queue_lifetime")) > 0) {
            warnings.add(setOne(c, "bounce_queue_lifetime", "maximal_queue_lifetime") + ": bounce_queue_lifetime = "
                    + c.get("bounce_queue_lifetime") + " (" + c.origin("bounce_queue_lifetime") + ") is larger than"
                    + " maximal_queue_lifetime = " + c.get("maximal_queue_lifetime") + " (" + c.origin("maximal_queue_lifetime")
                    + ") - adjusting bounce_queue_lifetime");
        }
    }

    /** Where the warning about two parameters points: the first if main.cf sets it, else the second. */
    private static String setOne(ParsedConfig c, String first, String second) {
        return c.settings().containsKey(first) ? c.origin(first) : c.origin(second);
    }

    /** The warning for a setting Postern accepts but does not honour, or null. */
    static String unhonoured(Param p, String value) {
        return switch (p.status()) {
            case NOT_IMPLEMENTED -> "parameter \"" + p.name() + "\" is not implemented; it has no effect";
            case FIXED -> Values.sameAs(p, value, p.onlyValue()) ? null : "parameter \"" + p.name() + "\" = \"" + value
                    + "\" is not implemented; it has no effect (Postern always works as " + p.name() + " = " + p.onlyValue() + ")";
            default -> null;
        };
    }

    private static void checkSmtpd(ParsedConfig main, ParsedConfig sc, MasterService service, List<String> warnings)
            throws ConfigException {
        String where = service.origin();
        // Postfix: a main.cf smtpd_tls_security_level silently overrides -o smtpd_enforce_tls / smtpd_use_tls.
        for (String obsolete : List.of("smtpd_enforce_tls", "smtpd_use_tls")) {
            if (service.overrides().containsKey(obsolete) && !service.overrides().containsKey("smtpd_tls_security_level")
                    && SmtpdTlsLevel.isExplicit(main)) {
                warnings.add(where + ": -o " + obsolete + "=" + service.overrides().get(obsolete) + " has no effect: "
                        + main.origin("smtpd_tls_security_level") + " sets smtpd_tls_security_level = "
                        + main.get("smtpd_tls_security_level") + ", which wins; use -o smtpd_tls_security_level=... instead");
            }
        }
        String level = SmtpdTlsLevel.of(sc);
        boolean wrapper = sc.bool("smtpd_tls_wrappermode");
        boolean req = sc.bool("smtpd_tls_req_ccert");
        if (req && !level.equals("encrypt") && !wrapper) {
            warnings.add(where + ": smtpd_tls_req_ccert = yes is ignored: Can't require client certs unless TLS is required "
                    + "(set smtpd_tls_security_level = encrypt)");
        }
        boolean requires = req && (level.equals("encrypt") || wrapper);
        boolean asks = sc.bool("smtpd_tls_ask_ccert") || requires;
        if (sc.get("smtpd_tls_CAfile").isEmpty()) {
            if (requires) { // no certificate could ever be verified: every client would be refused
                throw new ConfigException(where, 0, "client certificates are required but smtpd_tls_CAfile is empty",
                        "set smtpd_tls_CAfile to your private CA's certificate");
            }
            if (sc.bool("smtpd_tls_ask_ccert") && (!level.equals("none") || wrapper)) {
                // Postfix allows it (smtpd_check.c: "Fingerprint matching works even if the issuing CA is not trusted").
                warnings.add(where + ": smtpd_tls_ask_ccert = yes but smtpd_tls_CAfile is empty: no client certificate can be"
                        + " verified: permit_tls_all_clientcerts and permit_tls_clientcerts permit only the fingerprints in"
                        + " relay_clientcerts, check_ccert_access matches by fingerprint, AUTH EXTERNAL is never offered");
            }
        }
        if ((!level.equals("none") || wrapper) && sc.get("smtpd_tls_cert_file").isEmpty()) {
            throw new ConfigException(where, 0, "TLS is enabled but smtpd_tls_cert_file is empty",
                    "set smtpd_tls_cert_file and smtpd_tls_key_file");
        }
        List<String> relay = sc.list("smtpd_relay_restrictions");
        List<String> rcpt = sc.list("smtpd_recipient_restrictions");
        if (!guards(relay) && !guards(rcpt)) {
            throw new ConfigException(where, 0, "open relay: in parameter smtpd_relay_restrictions or "
                    + "smtpd_recipient_restrictions, specify at least one working instance of: reject_unauth_destination, "
                    + "defer_unauth_destination, reject, defer, defer_if_permit or check_relay_domains",
                    "end smtpd_recipient_restrictions with reject_unauth_destination (or reject)");
        }
        boolean rcptPermitsCerts = rcpt.stream().anyMatch(r -> r.toLowerCase(Locale.ROOT).startsWith("permit_tls_"));
        boolean relayPermitsCerts = relay.stream().anyMatch(r -> r.toLowerCase(Locale.ROOT).startsWith("permit_tls_"));
        if (rcptPermitsCerts && !relayPermitsCerts && guards(relay)) {
            warnings.add(where + ": smtpd_recipient_restrictions permits certificate holders, but smtpd_relay_restrictions ("
                    + sc.origin("smtpd_relay_restrictions") + ": " + String.join(", ", relay) + ") is checked too and will "
                    + "refuse them; add permit_tls_all_clientcerts to smtpd_relay_restrictions or set it empty");
        }
        if (rcptPermitsCerts && !asks) {
            warnings.add(where + ": permit_tls_*clientcerts is used, but \"smtpd_tls_ask_ccert = no\": no certificate will be "
                    + "requested");
        }
    }

    /** Postfix's mail relay safety scan: stop at "permit", skip warn_if_reject's argument. */
    private static boolean guards(List<String> restrictions) {
        for (int i = 0; i < restrictions.size(); i++) {
            String r = restrictions.get(i).toLowerCase(Locale.ROOT);
            if (r.equals("permit")) {
                return false;
            }
            if (r.equals("warn_if_reject")) {
                i++;
                continue;
            }
            if (RELAY_GUARDS.contains(r)) {
                return true;
            }
        }
        return false;
    }
}

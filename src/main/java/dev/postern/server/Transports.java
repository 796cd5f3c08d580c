package dev.postern.server;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.MasterService;
import dev.postern.error.ErrorDeliveryAgent;
import dev.postern.log.MailLog;
import dev.postern.qmgr.Transport;
import dev.postern.smtp.SmtpClientSettings;
import dev.postern.smtp.SmtpDeliveryAgent;
import dev.postern.tls.TlsSetupException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The delivery transports, across reloads: {@code smtp} and {@code relay}, {@code error} and
 * {@code retry}, and one SMTP client per master.cf transport line: main.cf with the line's -o
 * overrides, so its own TLS contexts, policy tables, SASL, timeouts and connection cache
 * (connections are never shared between transports, whose settings differ), and its records logged
 * under its syslog_name as {@code <syslog_name>/smtp}, as Postfix's smtp process would log them.
 * That holds for transports of the user's own ({@code isp unix - - n - - smtp -o ...}) and for the
 * lines of the built-in smtp and relay transports when they have -o options; smtp and relay
 * without -o share one client with main.cf's settings ({@link #build}). Each agent sits in a
 * {@link ReloadableAgent}, so a reload swaps it without cutting a delivery. Used under
 * {@link Server}'s lock.
 */
final class Transports implements AutoCloseable {
    /**
     * A master.cf transport's agent, built and not yet in service, the log view it writes to and
     * the program part of its log tag.
     */
    private record Built(MasterService service, SmtpDeliveryAgent agent, MailLog log, String program) {
    }

    /** What a reload will put in place, all built before anything changes. */
    record Update(SmtpDeliveryAgent shared, Map<String, Built> lines) implements AutoCloseable {
        /** The reload failed later on: nothing of this goes into service. */
        @Override
        public void close() {
            shared.close();
            lines.values().forEach(b -> b.agent().close());
        }
    }

    private record Running(MasterService service, ReloadableAgent agent, MailLog log, String program) {
    }

    private final MailLog log;
    /** main.cf's SMTP client: smtp and relay when master.cf gives them no -o. */
    private final ReloadableAgent shared;
    /** The master.cf lines with an SMTP client of their own, by transport name. */
    private final Map<String, Running> lines = new LinkedHashMap<>();

    private Transports(MailLog log, Update first) {
        this.log = log;
        this.shared = new ReloadableAgent(first.shared());
        first.lines().forEach((name, b) -> lines.put(name, running(b, new ReloadableAgent(b.agent()))));
    }

    private static Running running(Built b, ReloadableAgent agent) {
        return new Running(b.service(), agent, b.log(), b.program());
    }

    static Transports start(Config c, MailLog log) throws ConfigException {
        return new Transports(log, build(c, log));
    }

    /** Every SMTP client {@code c} asks for, or none: a bad file or setting refuses the start or reload. */
    static Update build(Config c, MailLog log) throws ConfigException {
        SmtpDeliveryAgent main = agent(c, log, null);
        Map<String, Built> lines = new LinkedHashMap<>();
        try {
            for (MasterService s : c.services()) {
                if (!s.isSmtpTransport() || s.isBuiltInTransport() && s.overrides().isEmpty()) {
                    // smtp/relay without -o have main.cf's settings: sharing main's client costs no behaviour
                    // (Postfix keys its connection cache by service only as "a proxy for all request-independent
                    // configuration", smtp_key.c, and that is the same here) and saves a second set of TLS
                    // contexts, policy lookups and a second cache of idle connections.
                    continue;
                }
                Config sc = c.forService(s);
                // Only an -o of the line's own: main.cf's syslog_name needs a restart (ReloadScope), so
                // a reload must not give this transport a name the rest of the server does not use yet.
                boolean ownName = s.overrides().containsKey("syslog_name");
                MailLog view = ownName ? log.withSyslogName(sc.get("syslog_name")) : log;
                // Postfix logs <syslog_name>/smtp (mail_task()); without a name of its own a built-in
                // transport keeps Postern's tag for it (postern/relay), as when its line has no -o.
                String program = ownName || !s.isBuiltInTransport() ? "smtp" : s.name();
                lines.put(s.name(), new Built(s, agent(sc, view, s), view, program));
            }
        } catch (ConfigException | RuntimeException e) {
            new Update(main, lines).close();
            throw e;
        }
        return new Update(main, lines);
    }

    private static SmtpDeliveryAgent agent(Config c, MailLog log, MasterService service) throws ConfigException {
        try {
            return new SmtpDeliveryAgent(SmtpClientSettings.from(c), log);
        } catch (TlsSetupException | IllegalArgumentException e) {
            // Plan.of has checked the same settings with file and line; this is the fallback.
            if (service == null) {
                throw new ConfigException("main.cf", 0, "SMTP client: " + e.getMessage(), "fix the smtp_tls_* settings");
            }
            throw new ConfigException(service.file(), service.line(), "transport " + service.name() + ": SMTP client: "
                    + e.getMessage(), "fix the smtp_* settings of this line or main.cf");
        }
    }

    /**
     * Puts {@code u} in service: a new main.cf client, new clients for each line that stays, lines
     * new in master.cf added, removed ones retired (closed after their last delivery): a removed
     * transport of the user's own is gone, while smtp or relay go back to main.cf's client.
     * @return notes for the reload's log line: transports added, changed or removed
     */
    List<String> apply(Update u) {
        List<String> notes = new ArrayList<>();
        shared.replace(u.shared());
        for (Map.Entry<String, Running> e : new ArrayList<>(lines.entrySet())) {
            String name = e.getKey();
            if (u.lines().containsKey(name)) {
                continue;
            }
            lines.remove(name);
            if (MasterService.BUILT_IN_SMTP_TRANSPORTS.contains(name)) {
                e.getValue().agent().retireTo(shared);
                notes.add("transport " + name + ": main.cf's settings apply again (no -o on a " + name + " line in master.cf)");
            } else {
                e.getValue().agent().retire();
                notes.add("transport " + name + " removed: its mail waiting for a delivery is deferred");
            }
        }
        u.lines().forEach((name, b) -> {
            Running old = lines.get(name);
            if (old == null) {
                lines.put(name, running(b, new ReloadableAgent(b.agent())));
                notes.add(b.service().isBuiltInTransport() ? "transport " + name + " takes the -o of " + b.service().origin()
                        : "transport " + name + " defined (" + b.service().origin() + ")");
            } else {
                old.agent().replace(b.agent());
                lines.put(name, running(b, old.agent()));
                if (!old.service().overrides().equals(b.service().overrides())) {
                    notes.add("transport " + name + " changed (" + b.service().origin() + ")");
                }
            }
        });
        return notes;
    }

    /**
     * What qmgr drives: error and retry; smtp and relay under their own names in the log when main.cf's
     * client serves them; master.cf lines under their tag ({@code <syslog_name>/smtp}, {@link #build}).
     */
    List<Transport> forQmgr() {
        List<Transport> out = new ArrayList<>(Transport.named(Map.of("error", ErrorDeliveryAgent.error(),
                "retry", ErrorDeliveryAgent.retry()), log));
        for (String name : MasterService.BUILT_IN_SMTP_TRANSPORTS) {
            if (!lines.containsKey(name)) {
                out.add(new Transport(name, shared, log, name));
            }
        }
        lines.forEach((name, r) -> out.add(new Transport(name, r.agent(), r.log(), r.program())));
        return out;
    }

    @Override
    public void close() {
        shared.close();
        lines.values().forEach(r -> r.agent().close());
    }
}

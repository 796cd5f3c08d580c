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
 * The delivery transports, across reloads: {@code smtp} and {@code relay} (one SMTP client with
 * main.cf's settings), {@code error} and {@code retry}, and one SMTP client per master.cf transport
 * of the user's own ({@code isp unix - - n - - smtp -o ...}): main.cf with the line's -o overrides,
 * so its own TLS contexts, policy tables, SASL, timeouts and connection cache (connections are
 * never shared between transports, whose settings differ), and its records logged under its
 * syslog_name as {@code <syslog_name>/smtp}, as Postfix's smtp process would log them. Each agent
 * sits in a {@link ReloadableAgent}, so a reload swaps it without cutting a delivery. Used under
 * {@link Server}'s lock.
 */
final class Transports implements AutoCloseable {
    /** A master.cf transport's agent, built and not yet in service, and the log view it writes to. */
    private record Built(MasterService service, SmtpDeliveryAgent agent, MailLog log) {
    }

    /** What a reload will put in place, all built before anything changes. */
    record Update(SmtpDeliveryAgent smtp, Map<String, Built> custom) implements AutoCloseable {
        /** The reload failed later on: nothing of this goes into service. */
        @Override
        public void close() {
            smtp.close();
            custom.values().forEach(b -> b.agent().close());
        }
    }

    private record Running(MasterService service, ReloadableAgent agent, MailLog log) {
    }

    private final MailLog log;
    private final ReloadableAgent smtp;
    private final Map<String, Running> custom = new LinkedHashMap<>();

    private Transports(MailLog log, Update first) {
        this.log = log;
        this.smtp = new ReloadableAgent(first.smtp());
        first.custom().forEach((name, b) -> custom.put(name, new Running(b.service(), new ReloadableAgent(b.agent()), b.log())));
    }

    static Transports start(Config c, MailLog log) throws ConfigException {
        return new Transports(log, build(c, log));
    }

    /** Every SMTP client {@code c} asks for, or none: a bad file or setting refuses the start or reload. */
    static Update build(Config c, MailLog log) throws ConfigException {
        SmtpDeliveryAgent main = agent(c, log, null);
        Map<String, Built> custom = new LinkedHashMap<>();
        try {
            for (MasterService s : c.services()) {
                if (s.isSmtpTransport()) {
                    Config sc = c.forService(s);
                    // Only an -o of the line's own: main.cf's syslog_name needs a restart (ReloadScope), so
                    // a reload must not give this transport a name the rest of the server does not use yet.
                    MailLog view = s.overrides().containsKey("syslog_name") ? log.withSyslogName(sc.get("syslog_name")) : log;
                    custom.put(s.name(), new Built(s, agent(sc, view, s), view));
                }
            }
        } catch (ConfigException | RuntimeException e) {
            new Update(main, custom).close();
            throw e;
        }
        return new Update(main, custom);
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
     * Puts {@code u} in service: new clients for smtp/relay and for each transport that stays,
     * transports new in master.cf added, removed ones retired (closed after their last delivery).
     * @return notes for the reload's log line: transports added, changed or removed
     */
    List<String> apply(Update u) {
        List<String> notes = new ArrayList<>();
        smtp.replace(u.smtp());
        for (Map.Entry<String, Running> e : new ArrayList<>(custom.entrySet())) {
            if (!u.custom().containsKey(e.getKey())) {
                e.getValue().agent().retire();
                custom.remove(e.getKey());
                notes.add("transport " + e.getKey() + " removed: its mail waiting for a delivery is deferred");
            }
        }
        u.custom().forEach((name, b) -> {
            Running old = custom.get(name);
            if (old == null) {
                custom.put(name, new Running(b.service(), new ReloadableAgent(b.agent()), b.log()));
                notes.add("transport " + name + " defined (" + b.service().origin() + ")");
            } else {
                old.agent().replace(b.agent());
                custom.put(name, new Running(b.service(), old.agent(), b.log()));
                if (!old.service().overrides().equals(b.service().overrides())) {
                    notes.add("transport " + name + " changed (" + b.service().origin() + ")");
                }
            }
        });
        return notes;
    }

    /** What qmgr drives: the built-in transports under their own names, master.cf ones as {@code <syslog_name>/smtp}. */
    List<Transport> forQmgr() {
        List<Transport> out = new ArrayList<>(Transport.named(Map.of("smtp", smtp, "relay", smtp,
                "error", ErrorDeliveryAgent.error(), "retry", ErrorDeliveryAgent.retry()), log));
        custom.forEach((name, r) -> out.add(new Transport(name, r.agent(), r.log(), "smtp")));
        return out;
    }

    @Override
    public void close() {
        smtp.close();
        custom.values().forEach(r -> r.agent().close());
    }
}

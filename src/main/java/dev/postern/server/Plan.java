package dev.postern.server;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.LoadedConfig;
import dev.postern.config.MasterService;
import dev.postern.smtpd.Smtpd;
import dev.postern.smtpd.SmtpdSettings;
import dev.postern.tls.TlsSetupException;
import dev.postern.tls.TlsClient;
import dev.postern.smtp.SmtpClientSettings;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated configuration and the listeners it asks for: what {@code postern check} reports and
 * what {@link Server#start} builds.
 */
public record Plan(Config config, List<String> warnings, List<Listener> listeners) {

    public record Listener(MasterService service, SmtpdSettings settings, List<InetSocketAddress> addresses) {
    }

    static Plan of(LoadedConfig loaded) throws ConfigException {
        Config c = loaded.config();
        List<Listener> listeners = new ArrayList<>();
        for (MasterService s : c.services()) {
            if (!s.type().equals("inet") || !s.command().equals("smtpd")) {
                continue;
            }
            Config sc = c.forService(s);
            SmtpdSettings settings;
            try {
                settings = SmtpdSettings.from(sc, "smtpd");
                Smtpd.validate(settings);
            } catch (IllegalArgumentException | TlsSetupException e) {
                throw new ConfigException(s.file(), s.line(), "service " + s.name() + ": " + e.getMessage(), "");
            }
            listeners.add(new Listener(s, settings, ListenAddresses.of(s, sc.list("inet_interfaces"),
                    sc.get("inet_protocols"))));
        }
        try {
            TlsClient.create(SmtpClientSettings.from(c).tls());
        } catch (TlsSetupException | IllegalArgumentException e) {
            throw new ConfigException(c.origin("smtp_tls_cert_file").equals("default") ? "main.cf" : c.origin("smtp_tls_cert_file"),
                    0, "SMTP client: " + e.getMessage(), "fix the smtp_tls_* settings");
        }
        if (listeners.isEmpty()) {
            throw new ConfigException("master.cf", 0, "no inet service runs smtpd",
                    "add a line such as: 587 inet n - n - - smtpd");
        }
        return new Plan(c, loaded.warnings(), List.copyOf(listeners));
    }
}

package dev.postern.server;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.MasterService;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * content_filter, checked where it is set (main.cf for pickup and every smtpd service without an
 * -o of its own, and the -o of each smtpd line and of the pickup line): {@code transport:destination} (or a bare transport)
 * whose transport is one Postern delivers with. Postfix stores any value and its queue manager
 * defers the mail to a transport that does not exist ("mail transport unavailable") until it
 * expires; here a typo is an error at check and start, naming the line and the fix, before any
 * mail waits for it. access(5) FILTER values are not checked here: they are looked up per message.
 */
final class ContentFilterCheck {
    private ContentFilterCheck() {}

    /**
     * @param transports the transports Postern delivers with: the built-in ones and master.cf's smtp lines
     * @return warnings: every smtpd service filters, so nothing can take the filter's mail back;
     *         the pickup line clears main.cf's filter, so local submissions are not scanned
     */
    static List<String> check(Config c, Set<String> transports) throws ConfigException {
        check(c, null, transports);
        List<String> notes = new ArrayList<>();
        java.util.Optional<MasterService> pickup = dev.postern.pickup.PickupSettings.line(c);
        if (pickup.isPresent() && pickup.get().overrides().containsKey("content_filter")) {
            check(c.forService(pickup.get()), pickup.get(), transports);
            // As in Postfix, and some filter guides do it on purpose; but Postern before this release
            // ignored the pickup line's -o, so an upgrade would stop scanning sendmail mail unsaid.
            if (c.forService(pickup.get()).get("content_filter").isBlank() && !c.get("content_filter").isBlank()) {
                notes.add(pickup.get().origin() + ": the pickup line's -o content_filter= clears main.cf's content_filter: mail"
                        + " submitted with sendmail is not filtered");
            }
        }
        List<String> filtering = new ArrayList<>();
        boolean reinjection = false;
        for (MasterService s : c.services()) {
            if (!s.isSmtpd()) {
                continue;
            }
            Config sc = c.forService(s);
            if (s.overrides().containsKey("content_filter")) {
                check(sc, s, transports);
            }
            if (sc.get("content_filter").isBlank()) {
                reinjection = true;
            } else {
                filtering.add(s.name() + " (" + s.origin() + ")");
            }
        }
        if (filtering.isEmpty() || reinjection) {
            return notes;
        }
        notes.add("content_filter is set for every smtpd service (" + String.join(", ", filtering) + "): mail the "
                + "filter sends back is filtered again, a loop, unless the filter delivers elsewhere; add a re-injection "
                + "service such as \"127.0.0.1:10025 inet n - n - - smtpd -o content_filter= -o mynetworks=127.0.0.0/8 "
                + "-o smtpd_client_restrictions= -o smtpd_helo_restrictions= -o smtpd_sender_restrictions= "
                + "-o smtpd_relay_restrictions= -o smtpd_data_restrictions= "
                + "-o smtpd_recipient_restrictions=permit_mynetworks,reject\"");
        return notes;
    }

    private static void check(Config c, MasterService service, Set<String> transports) throws ConfigException {
        String value = c.get("content_filter").strip();
        if (value.isEmpty()) {
            return;
        }
        String where = (service == null ? "" : "service " + service.name() + ": ") + "content_filter = " + value + ": ";
        int colon = value.indexOf(':');
        String transport = colon < 0 ? value : value.substring(0, colon);
        Set<String> usable = new TreeSet<>(transports);
        usable.remove("local");
        if (transport.isEmpty()) {
            throw Plan.at(c, "content_filter", service, where + "no transport before the ':'",
                    "write transport:destination, e.g. smtp-amavis:[127.0.0.1]:10024 with a master.cf line "
                            + "\"smtp-amavis unix - - n - - smtp\"");
        }
        if (transport.equals("local")) {
            throw Plan.at(c, "content_filter", service, where + "Postern has no local delivery agent, so no mail "
                    + "could reach this filter", "name a master.cf smtp transport and the filter's SMTP address, e.g. "
                    + "smtp-amavis:[127.0.0.1]:10024");
        }
        if (!usable.contains(transport)) {
            throw Plan.at(c, "content_filter", service, where + "transport \"" + transport + "\" is not defined "
                    + "(every message this " + (service == null ? "server" : "service") + " queues would wait for it)",
                    "add a master.cf line \"" + transport + " unix - - n - - smtp\" (Postern's SMTP client delivers "
                            + "to the filter), or use one of: " + String.join(", ", usable));
        }
    }
}

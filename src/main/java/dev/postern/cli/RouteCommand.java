package dev.postern.cli;

import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;
import dev.postern.maps.LookupException;
import dev.postern.qmgr.Route;
import dev.postern.qmgr.Router;
import dev.postern.qmgr.RouterSettings;
import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteException;
import dev.postern.rewrite.RewriteSettings;
import dev.postern.smtp.SaslClient;
import dev.postern.smtp.SmtpClientSettings;
import dev.postern.smtp.TlsPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code postern route}: explains where mail from a sender to a recipient would go, without
 * sending anything: the address class, every table consulted (the key that matched and its
 * value, or the keys tried), and the resulting transport and next hop. What Postfix never tells
 * you when "the map had no effect".
 */
@Command(name = "route", description = "Explain the routing decision for a sender and recipient, without sending (what sendmail -bv reports; canonical maps, masquerade_domains and virtual_alias_maps first, then transport_maps, sender_dependent_default_transport_maps, sender_dependent_relayhost_maps, relayhost).")
final class RouteCommand implements Callable<Integer> {
    /** sysexits EX_USAGE and EX_CONFIG. */
    static final int EX_USAGE = 64;
    static final int EX_CONFIG = 78;

    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = {"--sender", "-f"}, required = true, paramLabel = "ADDRESS",
            description = "envelope sender; empty or <> for the null sender")
    String sender;
    @Option(names = {"--recipient", "-r"}, required = true, paramLabel = "ADDRESS", description = "envelope recipient")
    String recipient;
    @Option(names = "--cleanup-service", paramLabel = "NAME", defaultValue = "cleanup",
            description = "the cleanup service whose address rewriting applies (an smtpd line's -o cleanup_service_name; default: cleanup)")
    String cleanupService;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReversePath from;
        MailAddress to;
        try {
            from = ReversePath.parse(unbracket(sender));
        } catch (IllegalArgumentException e) {
            err.println("postern route: bad sender address \"" + sender + "\": " + e.getMessage());
            return EX_USAGE;
        }
        try {
            to = MailAddress.parse(unbracket(recipient));
        } catch (IllegalArgumentException e) {
            err.println("postern route: bad recipient address \"" + recipient + "\": " + e.getMessage());
            return EX_USAGE;
        }
        Config c;
        Router router;
        try {
            c = ConfigLoader.load(parent.config.directory(spec.commandLine())).config();
            router = new Router(RouterSettings.from(c));
        } catch (ConfigException e) {
            err.println("postern route: fatal: " + e.getMessage());
            return EX_CONFIG;
        } catch (IllegalArgumentException e) {
            err.println("postern route: fatal: " + e.getMessage());
            return EX_CONFIG;
        }
        out.println("sender: <" + from + ">");
        List<MailAddress> targets = List.of(to);
        try { // cleanup's address rewriting comes before routing (canonical, masquerade, virtual)
            // the cleanup service's: its master.cf line's -o rewriting, else main.cf's
            dev.postern.cleanup.CleanupSettings cs = dev.postern.cleanup.CleanupSettings.from(c);
            if (!cs.checks().containsKey(cleanupService)) {
                err.println("postern route: no cleanup service " + cleanupService + ": name a master.cf line"
                        + " \"" + cleanupService + " unix n - n - 0 cleanup\" (or leave --cleanup-service out)");
                return EX_USAGE;
            }
            AddressRewriting rw = AddressRewriting.open(cs.rewritingOf(cleanupService));
            if (!rw.isEmpty()) {
                List<String> warnings = new java.util.ArrayList<>();
                if (!from.isNull()) {
                    String s2 = rw.envelopeSender(from.toString(), warnings::add);
                    if (!s2.equals(from.toString())) {
                        from = ReversePath.of(MailAddress.parse(s2));
                        out.println("  address rewriting (canonical maps, masquerade_domains): sender <" + from + ">");
                    }
                }
                String canonical = rw.envelopeRecipient(to.toString(), warnings::add);
                List<String> expanded = rw.virtualAlias(canonical);
                if (!expanded.equals(List.of(to.toString()))) {
                    out.println("  address rewriting: <" + to + "> -> " + (canonical.equals(to.toString()) ? ""
                            : "<" + canonical + "> (canonical maps, masquerade_domains) -> ")
                            + String.join(", ", expanded.stream().map(a -> "<" + a + ">").toList())
                            + (expanded.equals(List.of(canonical)) ? "" : " (virtual_alias_maps)"));
                    List<MailAddress> t = new java.util.ArrayList<>();
                    for (String a : expanded) {
                        t.add(MailAddress.parse(a));
                    }
                    targets = t;
                }
                warnings.forEach(w -> out.println("  warning: " + w));
            }
        } catch (RewriteException e) {
            out.println("recipient: <" + to + ">");
            out.println("  " + e.warning());
            out.println("action: the message would not be accepted (451)");
            out.flush();
            return 0;
        } catch (IllegalArgumentException e) {
            out.println("recipient: <" + to + ">");
            out.println("  address rewriting gives an address Postern cannot deliver to: " + e.getMessage());
            out.println("action: the message would not be accepted (451)");
            out.flush();
            return 0;
        }
        for (MailAddress rcpt : targets) {
            explain(out, c, router, from, rcpt);
        }
        out.flush();
        return 0;
    }

    /** The routing decision for one (rewritten) recipient, as the queue manager would make it. */
    private static void explain(PrintWriter out, Config c, Router router, ReversePath from, MailAddress to) {
        out.println("recipient: <" + to + ">");
        try {
            Router.Decision d = router.decide(from, to);
            for (String line : d.explanation()) {
                out.println("  " + line);
            }
            Route r = d.route();
            out.println("transport: " + r.transport());
            switch (r.transport()) {
                case "error" -> out.println("action: bounce (" + r.nexthop() + ")");
                case "retry" -> out.println("action: defer (" + r.nexthop() + ")");
                default -> out.println("next hop: " + r.nexthop() + (r.nexthop().startsWith("[")
                        ? " (no MX lookup)" : r.local() ? "" : " (MX lookup)"));
            }
            for (String line : deliveryDetails(c, r, from)) {
                out.println(line);
            }
            contentFilters(c, to).forEach(out::println);
        } catch (LookupException e) {
            out.println("  " + e.getMessage());
            Route r = Route.resolverFailure(e);
            out.println("transport: " + r.transport());
            out.println("action: defer (" + r.nexthop() + ") until the table answers");
        }
    }

    /**
     * What the transport will do at that next hop: the TLS level and where it came from
     * ({@code smtp_tls_policy_maps [host]:587 -> secure}), SASL or not, from the smtp package's
     * own lookups; one line each, never a secret, and a warning when AUTH could never happen.
     */
    static List<String> deliveryDetails(Config c, Route route, ReversePath sender) {
        if (route.local()) {
            return List.of("local delivery: Postern has no local delivery agent yet; this mail would be deferred (4.3.5)");
        }
        if (route.transport().equals("error") || route.transport().equals("retry")) {
            return List.of();
        }
        Config transportConfig = c;
        List<String> lines = new java.util.ArrayList<>();
        dev.postern.config.MasterService t = c.services().stream()
                .filter(sv -> sv.isSmtpTransport() && sv.name().equals(route.transport())).findFirst().orElse(null);
        boolean builtIn = dev.postern.config.MasterService.BUILT_IN_SMTP_TRANSPORTS.contains(route.transport());
        if (t == null && !builtIn) {
            return List.of("no delivery agent serves transport " + route.transport() + " (no master.cf line \""
                    + route.transport() + " unix - - n - - smtp\"): its mail would be deferred (mail transport unavailable)");
        }
        if (t != null && !(builtIn && t.overrides().isEmpty())) { // smtp/relay without -o: main.cf's client, said below
            transportConfig = c.forService(t);
            // As the daemon tags it (Transports): <syslog_name>/smtp, but smtp/relay without a syslog_name of their own
            String tag = builtIn && !t.overrides().containsKey("syslog_name") ? c.get("syslog_name") + "/" + t.name()
                    : transportConfig.get("syslog_name") + "/smtp";
            lines.add("transport " + t.name() + " (" + t.origin() + "): Postern's SMTP client"
                    + (t.overrides().isEmpty() ? "" : " with -o " + overrides(t)) + "; logs as " + tag);
        }
        SmtpClientSettings s;
        try {
            s = SmtpClientSettings.from(transportConfig);
        } catch (IllegalArgumentException e) {
            return List.of("SMTP client: invalid settings (postern check says where): " + e.getMessage());
        }
        String tls = TlsPolicy.explainTls(s, route.nexthop());
        String sasl = SaslClient.explainSasl(s, route.nexthop(), sender.toString());
        lines.add(tls);
        lines.add(sasl);
        if (tls.startsWith("TLS: none") && sasl.startsWith("SASL: yes") && sasl.contains("only over TLS")) {
            lines.add("warning: SMTP AUTH is configured for this next hop only over TLS, but its TLS level"
                    + " is none: mail goes without AUTH (set smtp_tls_security_level = encrypt, or a policy for it)");
        }
        return lines;
    }

    /**
     * content_filter: which way in (pickup, each smtpd service) stores which filter with the mail
     * it queues, and where the queue manager then sends this recipient instead of the route above
     * (an access(5) FILTER action may set another per message). Nothing when no filter is set.
     */
    static List<String> contentFilters(Config c, MailAddress to) {
        java.util.Map<String, List<String>> byFilter = new java.util.LinkedHashMap<>();
        // pickup's own: its master.cf line's -o content_filter, else main.cf's (as the daemon's PickupSettings)
        String pickupOrigin = dev.postern.pickup.PickupSettings.line(c).map(s -> " (" + s.origin() + ")").orElse("");
        byFilter.computeIfAbsent(dev.postern.pickup.PickupSettings.configFor(c).get("content_filter").strip(),
                k -> new java.util.ArrayList<>()).add("pickup (sendmail)" + pickupOrigin);
        for (dev.postern.config.MasterService s : c.services()) {
            if (s.isSmtpd()) {
                byFilter.computeIfAbsent(c.forService(s).get("content_filter").strip(), k -> new java.util.ArrayList<>())
                        .add("smtpd " + s.name() + " (" + s.origin() + ")");
            }
        }
        if (byFilter.size() == 1 && byFilter.containsKey("")) {
            return List.of();
        }
        List<String> lines = new java.util.ArrayList<>();
        byFilter.forEach((filter, sources) -> {
            if (filter.isEmpty()) {
                lines.add("no content filter for mail queued by " + String.join(", ", sources) + ": routed as above");
            } else {
                Route f = Route.contentFilter(filter, to, c.get("default_filter_nexthop").strip());
                lines.add("content_filter = " + filter + " for mail queued by " + String.join(", ", sources)
                        + ": to transport " + f.transport() + ", next hop " + f.nexthop() + " instead (the filter's"
                        + " re-injected copy is routed as above)");
            }
        });
        return lines;
    }

    /** A transport's -o overrides as written, passwords never among them (those live in smtp_sasl_password_maps). */
    private static String overrides(dev.postern.config.MasterService t) {
        List<String> out = new java.util.ArrayList<>();
        t.overrides().forEach((k, v) -> out.add(k + "=" + v));
        return String.join(" -o ", out);
    }

    private static String unbracket(String a) {
        String t = a.strip();
        return t.startsWith("<") && t.endsWith(">") ? t.substring(1, t.length() - 1) : t;
    }
}

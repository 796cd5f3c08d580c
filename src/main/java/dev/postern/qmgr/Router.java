package dev.postern.qmgr;

import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;

import java.util.Optional;
import java.util.function.Function;

/**
 * trivial-rewrite's resolve step, for Postern's address classes. A local domain (mydestination)
 * resolves to the local class, which Postern cannot deliver yet. Otherwise, as Postfix does for
 * the relay class (relay_domains) and the default class: the transport is relay_transport or
 * default_transport, and the next hop is, in order, the transport's own ":nexthop", the
 * sender-dependent relayhost (a seam for the next version), relayhost, the recipient domain.
 */
public final class Router {
    private final RouterSettings settings;
    private final Function<ReversePath, Optional<String>> senderRelayhost;

    public Router(RouterSettings settings) {
        this(settings, sender -> Optional.empty());
    }

    public Router(RouterSettings settings, Function<ReversePath, Optional<String>> senderRelayhost) {
        this.settings = settings;
        this.senderRelayhost = senderRelayhost;
    }

    public Route route(ReversePath sender, MailAddress recipient) {
        String domain = recipient.domainKey();
        if (settings.mydestination().contains(domain)) {
            return new Route("local", domain, true);
        }
        boolean relayClass = settings.relayDomains().stream()
                .anyMatch(d -> d.startsWith(".") ? domain.endsWith(d) : domain.equals(d));
        String transportSpec = relayClass ? settings.relayTransport() : settings.defaultTransport();
        int colon = transportSpec.indexOf(':');
        String transport = colon < 0 ? transportSpec : transportSpec.substring(0, colon);
        String nexthop = colon < 0 ? "" : transportSpec.substring(colon + 1);
        if (nexthop.isEmpty()) {
            nexthop = senderRelayhost.apply(sender).orElse("");
        }
        if (nexthop.isEmpty()) {
            nexthop = settings.relayhost();
        }
        if (nexthop.isEmpty()) {
            nexthop = domain;
        }
        return new Route(transport, nexthop, false);
    }
}

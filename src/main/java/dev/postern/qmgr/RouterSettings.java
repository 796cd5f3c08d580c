package dev.postern.qmgr;

import dev.postern.config.Config;

import java.util.List;
import java.util.Locale;

/** What the router reads: relayhost, the default and relay transports, and the local and relay domains. */
public record RouterSettings(String relayhost, String defaultTransport, String relayTransport,
                             List<String> mydestination, List<String> relayDomains) {
    public static RouterSettings from(Config c) {
        return new RouterSettings(c.get("relayhost"), c.get("default_transport"), c.get("relay_transport"),
                c.list("mydestination").stream().map(d -> d.toLowerCase(Locale.ROOT)).toList(),
                c.list("relay_domains").stream().map(d -> d.toLowerCase(Locale.ROOT)).toList());
    }
}

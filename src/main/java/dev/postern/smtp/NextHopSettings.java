package dev.postern.smtp;

import dev.postern.dns.MxList;

import java.util.List;

/**
 * How next hops become servers: postern_dns_servers (empty: /etc/resolv.conf), smtp_host_lookup
 * and inet_protocols (in {@code lookup}, with smtp_mx_address_limit), smtp_mx_session_limit and
 * smtp_skip_5xx_greeting.
 */
public record NextHopSettings(List<String> dnsServers, MxList.Options lookup, int sessionLimit, boolean skip5xxGreeting) {
    /** Postfix's defaults: DNS, IPv4 and IPv6, 5 addresses, 2 sessions, skip 5xx greetings. */
    public static final NextHopSettings POSTFIX = new NextHopSettings(List.of(), new MxList.Options(true, false, true, true, 5), 2, true);

    public NextHopSettings {
        dnsServers = List.copyOf(dnsServers);
    }
}

package dev.postern.smtp;

import dev.postern.dns.MxList;

import java.time.Duration;
import java.util.List;

/**
 * How next hops become servers: postern_dns_servers (empty: /etc/resolv.conf), smtp_host_lookup
 * and inet_protocols (in {@code lookup}, with smtp_mx_address_limit), smtp_mx_session_limit and
 * smtp_skip_5xx_greeting; {@code plaintextFallbackAge} is minimal_backoff_time: how long a message
 * must have waited before an opportunistic TLS failure is retried in plaintext (Postfix's rule).
 */
public record NextHopSettings(List<String> dnsServers, MxList.Options lookup, int sessionLimit, boolean skip5xxGreeting,
                              Duration plaintextFallbackAge) {
    /** Postfix's defaults: DNS, IPv4 and IPv6, 5 addresses, 2 sessions, skip 5xx greetings, 300 s backoff. */
    public static final NextHopSettings POSTFIX = new NextHopSettings(List.of(), new MxList.Options(true, false, true, true, 5), 2, true);

    /**
     * As {@link #POSTFIX} with IPv4 only: for tests whose servers listen on 127.0.0.1 while
     * "localhost" also names ::1 (after a soft failure the client would go on to ::1, and report that).
     */
    public static final NextHopSettings POSTFIX_IPV4 = new NextHopSettings(List.of(), new MxList.Options(true, false, true, false, 5), 2, true);

    public NextHopSettings {
        dnsServers = List.copyOf(dnsServers);
    }

    /** With Postfix's minimal_backoff_time (300 s) as the plaintext fallback age. */
    public NextHopSettings(List<String> dnsServers, MxList.Options lookup, int sessionLimit, boolean skip5xxGreeting) {
        this(dnsServers, lookup, sessionLimit, skip5xxGreeting, Duration.ofSeconds(300));
    }
}

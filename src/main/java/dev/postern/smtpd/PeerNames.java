package dev.postern.smtpd;

import dev.postern.dns.ClientNames;
import dev.postern.util.IpAddresses;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The client's verified name and printable address, as Postfix logs them.
 *
 * <p>{@link #resolver}: the PTR name when its forward lookup leads back to the address, else
 * "unknown" (Postfix's forward-confirmed reverse DNS), looked up asynchronously by
 * {@link ClientNames}: no thread per client, at most {@link #MAX_PENDING_LOOKUPS} lookups pending,
 * each at most postern_smtpd_peername_lookup_timeout.
 *
 * <p>{@link #printable}: the address as Postfix's smtpd_peer.c gets it from
 * {@code sane_sockaddr_to_hostaddr()} (getnameinfo/inet_ntop with NI_NUMERICHOST): IPv6 in the
 * compressed form (RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero
 * groups as "::", the first one on a tie), never the JDK's {@code 0:0:0:0:0:0:0:1}, and without a
 * "%scope" suffix (Postfix requires the infrastructure to strip it). {@link #rfcAddress} adds the
 * RFC 5321 "IPv6:" prefix Postfix uses for state->rfc_addr in the Received: header.
 */
final class PeerNames {
    /** Lookups pending at once per listener; clients beyond are "unknown" at once (DNS is down or slow). */
    static final int MAX_PENDING_LOOKUPS = 256;

    private PeerNames() {}

    /** The listener's bounded, asynchronous resolver (postern_dns_servers, postern_smtpd_peername_lookup_timeout). */
    static ClientNames resolver(SmtpdSettings settings) {
        return ClientNames.of(settings.dnsServers(), settings.peernameLookupTimeout(), MAX_PENDING_LOOKUPS);
    }

    /** Postfix's state->addr: dotted quad, or compressed IPv6 without zone ({@link IpAddresses#printable}). */
    static String printable(InetAddress address) {
        return IpAddresses.printable(address);
    }

    /** Postfix's state->rfc_addr (smtpd_peer.c: {@code concatenate(IPV6_COL, client_addr.buf)}). */
    static String rfcAddress(InetAddress address) {
        return address instanceof Inet6Address ? "IPv6:" + printable(address) : printable(address);
    }

    static String ipv6(byte[] a) {
        return IpAddresses.ipv6(a);
    }
}

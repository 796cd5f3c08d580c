/**
 * dns - name service lookups for the SMTP client.
 *
 * <h2>Description</h2>
 * {@link dev.postern.dns.Resolver} asks the DNS (dnsjava) for MX, A and AAAA records, with the
 * servers of postern_dns_servers or, when that is empty, /etc/resolv.conf's; each server is tried
 * twice before the lookup counts as a temporary failure. {@link dev.postern.dns.MxList} turns a
 * next hop into the ordered addresses to try, as Postfix's smtp_addr.c: MX hosts by preference,
 * equal preferences shuffled, no MX = the domain's own addresses (implicit MX), a null MX
 * ({@code 0 .}, RFC 7505) = no mail, at most smtp_mx_address_limit addresses; host addresses by DNS,
 * by the system resolver (getaddrinfo) or by both in that order (smtp_host_lookup); IPv4 and/or IPv6
 * per inet_protocols. "localhost" is answered locally (RFC 6761).
 * {@link dev.postern.dns.ClientNames} gives smtpd the client's name by forward-confirmed reverse
 * DNS (PTR, then A/AAAA of that name must include the address; else "unknown" and Postfix's
 * warning "hostname X does not resolve to address Y"), asynchronously, bounded in time
 * (postern_smtpd_peername_lookup_timeout) and in pending lookups.
 *
 * <h2>Threading</h2>
 * Resolver's lookups block: they run on delivery worker threads, never on a Netty event loop.
 * ClientNames never blocks: its queries share dnsjava's one NIO selector thread.
 *
 * <h2>Standards</h2>
 * RFC 1035 (DNS), RFC 5321 §5.1 (MX, implicit MX), RFC 7505 (null MX), RFC 6761 (localhost).
 *
 * <h2>Diagnostics</h2>
 * Postfix's texts: {@code Host or domain name not found. Name service error for name=x type=MX:
 * Host not found} (NXDOMAIN, permanent) and {@code ...: Host not found, try again} (SERVFAIL,
 * REFUSED, timeout: temporary); the system resolver's as {@code unable to look up host x: reason}.
 */
package dev.postern.dns;

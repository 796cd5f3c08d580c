package dev.postern.dns;

import java.net.InetAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The addresses to try for a next hop, in order, as Postfix's smtp_addr.c builds them: a domain's
 * MX hosts by preference, hosts of equal preference shuffled (load spreading), each host's
 * addresses; no MX means the domain itself (implicit MX, RFC 5321 §5.1); a null MX (RFC 7505)
 * means the domain takes no mail. {@code [host]} next hops skip the MX lookup. The list stops at
 * the address limit (smtp_mx_address_limit). MX records always come from the DNS, as in Postfix;
 * host addresses from DNS, the system resolver (getaddrinfo: /etc/hosts, nsswitch), or DNS then
 * the system resolver (smtp_host_lookup).
 */
public final class MxList {
    /** How host addresses are found and how many are kept (0: no limit). */
    public record Options(boolean dns, boolean nativeLookup, boolean ipv4, boolean ipv6, int addressLimit) {
    }

    /** One address to try; {@code host} is the MX (or next-hop) name it belongs to, as Postfix logs it. */
    public record Target(String host, InetAddress address, int preference) {
    }

    /** What the lookup found. */
    public sealed interface Result permits Found, NullMx, Failed {
    }

    public record Found(List<Target> targets) implements Result {
    }

    /** The domain published {@code MX 0 .}. */
    public record NullMx(String domain) implements Result {
    }

    /** {@code text} is Postfix's: {@code Host or domain name not found. Name service error for name=x type=MX: Host not found}. */
    public record Failed(boolean temporary, String text) implements Result {
    }

    private MxList() {}

    /** A domain next hop: MX lookup, then its hosts' addresses. */
    public static Result forDomain(Resolver resolver, String domain, Options o, Random random) {
        InetAddress literal = Resolver.literal(domain);
        if (literal != null) {
            return new Found(List.of(new Target(domain, literal, 0)));
        }
        List<MxHost> mx;
        try {
            mx = Resolver.isLocalhost(domain) ? List.of() : resolver.mx(domain);
        } catch (DnsException e) {
            return failed(e);
        }
        if (mx.isEmpty()) {
            return forHost(resolver, domain, o); // implicit MX
        }
        if (mx.stream().anyMatch(MxHost::isNull)) {
            return new NullMx(domain);
        }
        List<MxHost> order = new ArrayList<>(mx);
        Collections.shuffle(order, random);
        order.sort(Comparator.comparingInt(MxHost::preference)); // stable: ties stay shuffled
        List<Target> targets = new ArrayList<>();
        DnsException worst = null;
        for (MxHost h : order) {
            try {
                for (InetAddress a : hostAddresses(resolver, h.name(), o)) {
                    if (o.addressLimit() > 0 && targets.size() >= o.addressLimit()) {
                        return new Found(targets);
                    }
                    targets.add(new Target(h.name(), a, h.preference()));
                }
            } catch (DnsException e) {
                if (worst == null || e.temporary()) {
                    worst = e;
                }
            }
        }
        return targets.isEmpty() ? failed(worst) : new Found(targets);
    }

    /** A {@code [host]} next hop, or a domain without MX: the host's own addresses. */
    public static Result forHost(Resolver resolver, String host, Options o) {
        InetAddress literal = Resolver.literal(host);
        if (literal != null) {
            return new Found(List.of(new Target(host, literal, 0)));
        }
        try {
            List<Target> targets = new ArrayList<>();
            for (InetAddress a : hostAddresses(resolver, host, o)) {
                if (o.addressLimit() > 0 && targets.size() >= o.addressLimit()) {
                    break;
                }
                targets.add(new Target(host, a, 0));
            }
            return new Found(targets);
        } catch (DnsException e) {
            return failed(e);
        }
    }

    private static Result failed(DnsException e) {
        if (e.type().equals("native")) {
            return new Failed(e.temporary(), "unable to look up host " + e.name() + ": " + e.getCause().getMessage());
        }
        return new Failed(e.temporary(), "Host or domain name not found. " + e.getMessage());
    }

    /** smtp_host_lookup: DNS first when enabled; the system resolver when enabled and DNS found nothing. */
    private static List<InetAddress> hostAddresses(Resolver resolver, String host, Options o) throws DnsException {
        DnsException dnsFailure = null;
        if (o.dns()) {
            try {
                return resolver.addresses(host, o.ipv4(), o.ipv6());
            } catch (DnsException e) {
                dnsFailure = e;
            }
        }
        if (o.nativeLookup()) {
            try {
                return nativeAddresses(host, o);
            } catch (DnsException e) {
                // Report DNS's reason when DNS was asked too: it is the more precise one.
                throw dnsFailure != null ? dnsFailure : e;
            }
        }
        throw dnsFailure;
    }

    private static List<InetAddress> nativeAddresses(String host, Options o) throws DnsException {
        try {
            List<InetAddress> out = new ArrayList<>();
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (a instanceof Inet4Address ? o.ipv4() : a instanceof Inet6Address && o.ipv6()) {
                    out.add(a);
                }
            }
            if (out.isEmpty()) {
                throw new UnknownHostException(host + ": No address associated with hostname");
            }
            return out;
        } catch (UnknownHostException e) {
            // The JDK passes getaddrinfo's text on: EAI_AGAIN reads "Temporary failure in name resolution".
            String m = e.getMessage() == null ? host + ": Name or service not known" : e.getMessage();
            String reason = m.startsWith(host + ": ") ? m.substring(host.length() + 2) : m;
            DnsException d = new DnsException(reason.contains("Temporary failure") ? DnsException.Kind.TRY_AGAIN
                    : DnsException.Kind.NOT_FOUND, host, "native");
            d.initCause(new UnknownHostException(reason));
            throw d;
        }
    }
}

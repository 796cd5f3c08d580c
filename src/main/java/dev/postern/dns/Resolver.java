package dev.postern.dns;

import dev.postern.util.HostPort;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * dns - MX, A and AAAA lookups for the SMTP client, on dnsjava, against the servers of
 * postern_dns_servers or, when that is empty, those of /etc/resolv.conf. Queries are blocking:
 * call this only from delivery worker threads, never from a Netty event loop. Names are queried
 * as absolute names (no search list), as Postfix's smtp does. The answer's CNAME chain is followed.
 * "localhost" and names under ".localhost" are answered locally with the loopback addresses
 * (RFC 6761 §6.3), so a {@code [localhost]:587} next hop works whatever the upstream resolver says.
 */
public final class Resolver {
    private static final int ATTEMPTS = 2;
    private static final int MAX_CNAMES = 8;

    private final List<SimpleResolver> servers;
    private final String description;

    private Resolver(List<InetSocketAddress> addresses, Duration timeout) {
        List<SimpleResolver> s = new ArrayList<>();
        for (InetSocketAddress a : addresses) {
            SimpleResolver r = new SimpleResolver(a);
            r.setTimeout(timeout);
            s.add(r);
        }
        this.servers = List.copyOf(s);
        this.description = addresses.toString();
    }

    /** The servers of /etc/resolv.conf (dnsjava's ResolverConfig). */
    public static Resolver system(Duration timeout) {
        List<InetSocketAddress> a = ResolverConfig.getCurrentConfig().servers();
        return new Resolver(a.isEmpty() ? List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53)) : a, timeout);
    }

    /**
     * postern_dns_servers: {@code 192.0.2.1}, {@code 127.0.0.1:5353}, {@code [::1]:53}; empty means
     * the system's.
     * @throws IllegalArgumentException for an entry that is not an IP address with an optional port
     */
    public static Resolver of(List<String> servers, Duration timeout) {
        if (servers.isEmpty()) {
            return system(timeout);
        }
        return new Resolver(addresses(servers), timeout);
    }

    /** postern_dns_servers as socket addresses; empty gives /etc/resolv.conf's (loopback:53 when none). */
    static List<InetSocketAddress> addresses(List<String> servers) {
        if (servers.isEmpty()) {
            List<InetSocketAddress> a = ResolverConfig.getCurrentConfig().servers();
            return a.isEmpty() ? List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53)) : a;
        }
        List<InetSocketAddress> a = new ArrayList<>();
        for (String s : servers) {
            HostPort hp = HostPort.parse(s);
            InetAddress ip = literal(hp.host());
            if (ip == null) {
                throw new IllegalArgumentException("DNS server \"" + s + "\" is not an IP address; write e.g. 192.0.2.53 or [::1]:53");
            }
            a.add(new InetSocketAddress(ip, hp.portOr(53)));
        }
        return a;
    }

    /**
     * The MX records of a domain, in answer order (the caller sorts); empty when the domain exists
     * but has none.
     * @throws DnsException NOT_FOUND (NXDOMAIN) or TRY_AGAIN
     */
    public List<MxHost> mx(String domain) throws DnsException {
        List<MxHost> out = new ArrayList<>();
        for (Record r : query(domain, Type.MX)) {
            MXRecord mx = (MXRecord) r;
            out.add(new MxHost(nameText(mx.getTarget()), mx.getPriority()));
        }
        return out;
    }

    /**
     * A and/or AAAA records of a host, IPv4 first.
     * @throws DnsException NOT_FOUND, TRY_AGAIN, or NO_DATA when the name has no address of the families asked
     */
    public List<InetAddress> addresses(String host, boolean ipv4, boolean ipv6) throws DnsException {
        if (isLocalhost(host)) {
            return loopback(ipv4, ipv6);
        }
        List<InetAddress> out = new ArrayList<>();
        DnsException failure = null;
        for (int type : ipv4 && ipv6 ? new int[] {Type.A, Type.AAAA} : ipv4 ? new int[] {Type.A} : new int[] {Type.AAAA}) {
            try {
                for (Record r : query(host, type)) {
                    out.add(r instanceof ARecord a ? a.getAddress() : ((AAAARecord) r).getAddress());
                }
            } catch (DnsException e) {
                // NXDOMAIN for one type is NXDOMAIN for all; a temporary failure wins over "no data".
                if (failure == null || e.temporary()) {
                    failure = e;
                }
            }
        }
        if (!out.isEmpty()) {
            return out;
        }
        throw failure != null ? failure : new DnsException(DnsException.Kind.NO_DATA, host, ipv4 ? "A" : "AAAA");
    }

    /** The address an IP literal stands for (no lookup), or null when it is a name. */
    public static InetAddress literal(String host) {
        String h = host.startsWith("ipv6:") || host.startsWith("IPv6:") ? host.substring(5) : host;
        try {
            return h.indexOf(':') >= 0 ? org.xbill.DNS.Address.getByAddress(h, org.xbill.DNS.Address.IPv6)
                    : org.xbill.DNS.Address.isDottedQuad(h) ? org.xbill.DNS.Address.getByAddress(h, org.xbill.DNS.Address.IPv4) : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static boolean isLocalhost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.equals("localhost") || h.endsWith(".localhost");
    }

    private static List<InetAddress> loopback(boolean ipv4, boolean ipv6) {
        List<InetAddress> out = new ArrayList<>();
        try {
            if (ipv4) {
                out.add(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1}));
            }
            if (ipv6) {
                out.add(InetAddress.getByAddress("localhost", new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Records of {@code type} for {@code name}, following CNAMEs; empty for NODATA. */
    private List<Record> query(String name, int type) throws DnsException {
        String typeName = Type.string(type);
        Name qname;
        try {
            qname = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new DnsException(DnsException.Kind.NOT_FOUND, name, typeName);
        }
        for (int hop = 0; hop <= MAX_CNAMES; hop++) {
            Message response = send(qname, type, name, typeName);
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                throw new DnsException(DnsException.Kind.NOT_FOUND, name, typeName);
            }
            if (rcode != Rcode.NOERROR) {
                throw new DnsException(DnsException.Kind.TRY_AGAIN, name, typeName);
            }
            List<Record> found = new ArrayList<>();
            Name owner = qname;
            // A recursive server puts the chain and the target's records in one answer: walk it.
            for (int i = 0; i <= MAX_CNAMES; i++) {
                Name next = null;
                for (Record r : response.getSection(Section.ANSWER)) {
                    if (!r.getName().equals(owner)) {
                        continue;
                    }
                    if (r.getType() == type) {
                        found.add(r);
                    } else if (r instanceof CNAMERecord c) {
                        next = c.getTarget();
                    }
                }
                if (!found.isEmpty() || next == null) {
                    break;
                }
                owner = next;
            }
            if (!found.isEmpty() || owner.equals(qname)) {
                return found;
            }
            qname = owner; // the answer ended in a CNAME: ask for its target
        }
        throw new DnsException(DnsException.Kind.TRY_AGAIN, name, typeName);
    }

    /** Each server in turn, ATTEMPTS times, until one gives an answer other than SERVFAIL/REFUSED. */
    private Message send(Name qname, int type, String name, String typeName) throws DnsException {
        Message query = Message.newQuery(Record.newRecord(qname, type, DClass.IN));
        Message last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            for (SimpleResolver server : servers) {
                try {
                    Message m = server.send(query);
                    int rcode = m.getRcode();
                    if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
                        return m;
                    }
                    last = m;
                } catch (IOException e) {
                    // timeout or unreachable: the next server, then the next round
                }
            }
            if (last != null) {
                return last; // every server answered, with a failure: asking again will not help now
            }
        }
        throw new DnsException(DnsException.Kind.TRY_AGAIN, name, typeName);
    }

    private static String nameText(Name n) {
        String s = n.toString(true);
        return s.equals(".") ? "" : s.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return "Resolver" + description;
    }
}

package dev.postern.dns;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * smtpd's client name lookups, Postfix's forward-confirmed reverse DNS (smtpd_peer.c): the PTR
 * name of the client address, kept only when that name's A (or AAAA) records include the address;
 * otherwise, and on any failure or timeout, "unknown". Asynchronous on dnsjava's one shared NIO
 * selector thread: no thread per lookup, whatever the number of clients, and at most
 * {@code maxInFlight} lookups pending (more clients than that are "unknown" at once). The whole
 * lookup, both queries, ends within {@code timeout}.
 */
public final class ClientNames {
    /** The verified name ("unknown" when none) and Postfix's warning when the check failed, else null. */
    public record Result(String name, String warning) {
        static final Result UNKNOWN = new Result("unknown", null);
    }

    private final ExtendedResolver resolver;
    private final Duration timeout;
    private final Semaphore inFlight;
    private final boolean loopbackIsLocalhost;

    private ClientNames(List<String> servers, Duration timeout, int maxInFlight) {
        List<org.xbill.DNS.Resolver> rs = new ArrayList<>();
        for (var a : Resolver.addresses(servers)) {
            SimpleResolver r = new SimpleResolver(a);
            r.setTimeout(timeout);
            rs.add(r);
        }
        this.resolver = new ExtendedResolver(rs);
        this.resolver.setRetries(1);
        this.resolver.setTimeout(timeout);
        this.timeout = timeout;
        this.inFlight = new Semaphore(maxInFlight);
        // With the system's servers, loopback is "localhost" as /etc/hosts says; with configured
        // servers (tests, split DNS) they are asked like for any other address.
        this.loopbackIsLocalhost = servers.isEmpty();
    }

    /**
     * @param servers postern_dns_servers (empty: /etc/resolv.conf's)
     * @throws IllegalArgumentException for a server that is not an IP address
     */
    public static ClientNames of(List<String> servers, Duration timeout, int maxInFlight) {
        return new ClientNames(servers, timeout, maxInFlight);
    }

    /** Never completes exceptionally and never blocks the caller. */
    public CompletableFuture<Result> lookup(InetAddress address) {
        if (loopbackIsLocalhost && address.isLoopbackAddress()) {
            return CompletableFuture.completedFuture(new Result("localhost", null));
        }
        if (!inFlight.tryAcquire()) {
            return CompletableFuture.completedFuture(Result.UNKNOWN);
        }
        CompletableFuture<Result> result = new CompletableFuture<>();
        result.whenComplete((r, e) -> inFlight.release());
        query(ReverseMap.fromAddress(address), Type.PTR).thenCompose(ptr -> {
            String name = firstPtr(ptr);
            if (name == null) {
                return CompletableFuture.completedFuture(Result.UNKNOWN);
            }
            return confirm(name, address);
        }).completeOnTimeout(Result.UNKNOWN, timeout.toMillis() * 2 + 100, TimeUnit.MILLISECONDS)
                .whenComplete((r, e) -> result.complete(e != null || r == null ? Result.UNKNOWN : r));
        return result;
    }

    /** smtpd_peer.c: the name's addresses must include the client's, else a warning and "unknown". */
    private CompletableFuture<Result> confirm(String name, InetAddress address) {
        String printable = dev.postern.util.IpAddresses.printable(address);
        if (Resolver.literal(name) != null) {
            return CompletableFuture.completedFuture(new Result("unknown", "numeric hostname: " + name));
        }
        Name qname;
        try {
            qname = Name.fromString(name + ".");
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(Result.UNKNOWN);
        }
        int type = address instanceof Inet4Address ? Type.A : Type.AAAA;
        return query(qname, type).handle((m, e) -> {
            if (e != null || m == null || m.getRcode() != Rcode.NOERROR) {
                String why = m != null && m.getRcode() == Rcode.NXDOMAIN ? "Name or service not known"
                        : "Temporary failure in name resolution";
                return new Result("unknown", "hostname " + name + " does not resolve to address " + printable + ": " + why);
            }
            for (Record r : m.getSection(Section.ANSWER)) {
                InetAddress a = r instanceof ARecord ar ? ar.getAddress() : r instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
                if (address.equals(a)) {
                    return new Result(name, null);
                }
            }
            return new Result("unknown", "hostname " + name + " does not resolve to address " + printable);
        });
    }

    private CompletableFuture<Message> query(Name name, int type) {
        Message q = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        return resolver.sendAsync(q).toCompletableFuture();
    }

    /** The first PTR target of a NOERROR answer, lower case without the root dot; null when none. */
    private static String firstPtr(Message m) {
        if (m == null || m.getRcode() != Rcode.NOERROR) {
            return null;
        }
        for (Record r : m.getSection(Section.ANSWER)) {
            if (r instanceof PTRRecord p) {
                String s = p.getTarget().toString(true).toLowerCase(Locale.ROOT);
                return s.isEmpty() || s.equals(".") ? null : s;
            }
        }
        return null;
    }
}

package dev.postern.server;

import dev.postern.cleanup.Cleanup;
import dev.postern.config.ConfigException;
import dev.postern.log.MailLog;
import dev.postern.smtpd.SessionLimit;
import dev.postern.smtpd.Smtpd;
import dev.postern.tls.TlsSetupException;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The smtpd listeners, keyed by the address master.cf and inet_interfaces ask for (so a
 * {@code 127.0.0.1:0} listener keeps its kernel-chosen port across reloads), and one
 * {@link SessionLimit} per service name. {@link #reload} is all or nothing: every new generation
 * is built and every new address bound before anything running changes.
 */
final class Listeners {
    private final MailLog log;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final Map<Key, Smtpd> bound = new LinkedHashMap<>();
    private final Map<String, SessionLimit> limits = new HashMap<>();

    /**
     * A listener's identity across reloads: its master.cf service name, which of the services of
     * that name it is (tests run several at {@code 127.0.0.1:0}), and the configured address.
     */
    private record Key(String service, InetSocketAddress address) {
    }
    /** Listeners a reload removed: no longer accepting, their sessions finishing. */
    private final List<Smtpd> retired = new ArrayList<>();

    Listeners(MailLog log, EventLoopGroup acceptors, EventLoopGroup workers) {
        this.log = log;
        this.acceptors = acceptors;
        this.workers = workers;
    }

    /** What a reload did: addresses opened and closed, and the sessions that still run the old settings. */
    record Change(List<InetSocketAddress> opened, List<InetSocketAddress> closed, List<Channel> oldSessions) {
    }

    /** Start or reload: afterwards exactly the plan's listeners accept, each with its new settings. */
    synchronized Change apply(Plan plan, Cleanup cleanup) throws ConfigException, IOException {
        Map<String, Plan.Listener> newLimits = new HashMap<>();
        Map<Key, Smtpd.Generation> wanted = new LinkedHashMap<>();
        Map<String, SessionLimit> created = new HashMap<>();
        Map<String, Integer> occurrences = new HashMap<>();
        for (Plan.Listener l : plan.listeners()) {
            int n = occurrences.merge(l.service().name(), 1, Integer::sum);
            String service = n == 1 ? l.service().name() : l.service().name() + "#" + n;
            newLimits.put(service, l);
            SessionLimit limit = limits.get(service);
            if (limit == null) {
                limit = created.computeIfAbsent(service, s -> new SessionLimit(l.service().name(), l.processLimit(),
                        l.settings().eviction().idleTime(), l.settings().eviction().waitingLimit(), log));
            }
            Smtpd.Generation g;
            try {
                g = Smtpd.prepare(l.settings(), cleanup, log, limit);
            } catch (TlsSetupException | IllegalArgumentException e) {
                throw new ConfigException(l.service().file(), l.service().line(), "service " + service + ": "
                        + e.getMessage(), "fix the TLS files or restrictions named above");
            }
            for (InetSocketAddress a : l.addresses()) {
                wanted.put(new Key(service, a), g);
            }
        }
        List<Smtpd> opened = new ArrayList<>();
        Map<Key, Smtpd> openedAt = new LinkedHashMap<>();
        try {
            for (Map.Entry<Key, Smtpd.Generation> e : wanted.entrySet()) {
                if (!bound.containsKey(e.getKey())) {
                    Smtpd s = Smtpd.start(e.getValue(), e.getKey().address(), log, acceptors, workers);
                    opened.add(s);
                    openedAt.put(e.getKey(), s);
                }
            }
        } catch (IOException | RuntimeException e) {
            opened.forEach(s -> s.close(0)); // nothing running has changed yet
            throw e;
        }
        // From here nothing can fail: swap.
        limits.putAll(created);
        newLimits.forEach((service, l) -> limits.get(service).setLimit(l.processLimit(),
                l.settings().eviction().idleTime(), l.settings().eviction().waitingLimit()));
        List<Channel> oldSessions = new ArrayList<>();
        List<InetSocketAddress> closed = new ArrayList<>();
        for (var it = bound.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, Smtpd> e = it.next();
            oldSessions.addAll(e.getValue().openSessions());
            Smtpd.Generation g = wanted.get(e.getKey());
            if (g != null) {
                e.getValue().swap(g);
            } else {
                closed.add(e.getValue().localAddress());
                e.getValue().stopAccepting(); // its sessions finish under the old settings
                retired.add(e.getValue());
                it.remove();
            }
        }
        bound.putAll(openedAt);
        limits.keySet().retainAll(newLimits.keySet());
        List<InetSocketAddress> openedAddresses = opened.stream().map(Smtpd::localAddress).toList();
        return new Change(openedAddresses, closed, oldSessions);
    }

    /** Sessions each service counts now, holding a place or waiting for one (tests check they return to 0). */
    synchronized Map<String, Integer> sessionCounts() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        limits.forEach((service, limit) -> out.put(service, limit.active()));
        return out;
    }

    synchronized List<InetSocketAddress> addresses() {
        return bound.values().stream().map(Smtpd::localAddress).toList();
    }

    /** "address: TLS library" for each listener with TLS (the start-up log says who signs). */
    synchronized List<String> tlsLibraries() {
        return bound.values().stream().filter(s -> s.tlsLibrary() != null)
                .map(s -> Server.printable(s.localAddress()) + ": " + s.tlsLibrary()).toList();
    }

    synchronized void stopAccepting() {
        bound.values().forEach(Smtpd::stopAccepting);
    }

    /** Waits up to {@code graceMillis} in all for sessions to end, then closes the rest. */
    synchronized void close(long graceMillis) {
        long deadline = System.currentTimeMillis() + graceMillis;
        List<Smtpd> all = new ArrayList<>(bound.values());
        all.addAll(retired);
        for (Smtpd s : all) {
            s.close(Math.max(0, deadline - System.currentTimeMillis()));
        }
        bound.clear();
        retired.clear();
    }
}

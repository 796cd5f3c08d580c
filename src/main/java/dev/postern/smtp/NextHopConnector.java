package dev.postern.smtp;

import dev.postern.dns.MxList;
import dev.postern.dns.Resolver;
import dev.postern.log.MailLog;
import dev.postern.util.IpAddresses;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Opens a greeted connection to a next hop, as Postfix's smtp_connect.c: the addresses from
 * {@link MxList} in order (MX lookup unless {@code [host]}), moving on after a connection failure
 * or a greeting other than 220, and after a 5xx greeting too when smtp_skip_5xx_greeting = yes.
 * The delivery agent moves on to the next server after later soft failures too ({@link Servers}). Runs on the delivery worker
 * thread: DNS lookups block and must never run on a Netty event loop.
 */
final class NextHopConnector {
    sealed interface Outcome permits Opened, Failed {
    }

    /** A connection whose 220 greeting has been read; {@code relay} is {@code host[ip]:port}. */
    record Opened(SmtpConnection connection, String relay) implements Outcome {
    }

    /** Nothing to deliver to; {@code permanent}: bounce. */
    record Failed(String relay, String dsn, String diagnostic, boolean permanent) implements Outcome, Route {
    }

    /** What a next hop's lookup gives: its servers, or why there are none. */
    sealed interface Route permits Failed, Servers {
    }

    private final SmtpClientSettings settings;
    private final Resolver resolver;
    private final MailLog log;

    NextHopConnector(SmtpClientSettings settings, MailLog log) {
        this.settings = settings;
        this.log = log;
        this.resolver = Resolver.of(settings.nextHops().dnsServers(), java.time.Duration.ofSeconds(5));
    }

    /**
     * The servers of a next hop, to be tried in turn: a {@link Failed} when the lookup found none
     * (or the domain has a null MX), otherwise a {@link Servers} that connects to one after another.
     */
    Route servers(NextHop hop) {
        NextHopSettings n = settings.nextHops();
        Random random = ThreadLocalRandom.current();
        MxList.Result r = hop.bracketed() ? MxList.forHost(resolver, hop.host(), n.lookup())
                : MxList.forDomain(resolver, hop.host(), n.lookup(), random);
        if (r instanceof MxList.NullMx nul) {
            return new Failed("none", "5.1.10", "Domain " + nul.domain() + " does not accept mail (nullMX)", true);
        }
        if (r instanceof MxList.Failed f) {
            return new Failed("none", f.temporary() ? "4.4.3" : "5.4.4", f.text(), !f.temporary());
        }
        return new Servers(hop, ((MxList.Found) r).targets());
    }

    /**
     * The addresses of one next hop in order, as the loop in Postfix's smtp_connect.c walks them.
     * A server is the final one when no address is left after it, or when it would be the
     * smtp_mx_session_limit'th server to complete the initial handshake (greeting, EHLO, TLS,
     * AUTH): soft failures on a server that is not the final one leave the recipients for the
     * next server instead of deferring them. Sessions that fail the initial handshake do not
     * count towards the limit (Postfix 2.3 and later).
     */
    final class Servers implements Route {
        private final NextHop hop;
        private final List<MxList.Target> targets;
        private int nextIndex;
        private int sessions;

        private Servers(NextHop hop, List<MxList.Target> targets) {
            this.hop = hop;
            this.targets = targets;
        }

        /** The next server that greets with 220, or the last failure once none is left. */
        Outcome next() {
            Failed last = null;
            while (nextIndex < targets.size()) {
                if (last != null) {
                    log.info("smtp", last.diagnostic()); // as Postfix, each server given up on leaves a line
                }
                MxList.Target t = targets.get(nextIndex++);
                Outcome o = open(t);
                if (o instanceof Opened || ((Failed) o).permanent()) {
                    return o;
                }
                last = (Failed) o;
            }
            return last != null ? last : new Failed("none", "4.4.3", "Host or domain name not found. Name service error for name="
                    + hop.host() + " type=A: Host found but no data record of requested type", false);
        }

        /** Opens the same address once more (the plaintext retry after a failed opportunistic handshake). */
        Outcome again() {
            return open(targets.get(nextIndex - 1));
        }

        private Outcome open(MxList.Target t) {
            String host = t.host() + "[" + IpAddresses.printable(t.address()) + "]";
            String where = host + ":" + hop.port();
            SmtpConnection conn;
            try {
                conn = SmtpConnection.connect(new InetSocketAddress(t.address(), hop.port()), settings.connectTimeout(),
                        settings.timeouts().dataXfer());
            } catch (IOException e) {
                return new Failed("none", "4.4.1", "connect to " + where + ": " + e.getMessage(), false);
            }
            conn.onWarning(text -> log.warning("smtp", where + ": " + text)); // e.g. a reply line cut at 2048 bytes
            return greet(conn, host, where);
        }

        /** No address is left after the current one. */
        boolean lastAddress() {
            return nextIndex >= targets.size();
        }

        /**
         * The current server completed the initial handshake; true when that makes it the final
         * server (the session limit is reached).
         */
        boolean sessionStarted() {
            int limit = settings.nextHops().sessionLimit();
            if (limit > 0 && ++sessions >= limit) {
                nextIndex = targets.size();
            }
            return lastAddress();
        }
    }

    private Outcome greet(SmtpConnection conn, String host, String where) {
        ServerReply g;
        try {
            g = conn.reply(settings.heloTimeout());
        } catch (IOException e) {
            conn.close();
            return new Failed(where, "4.4.2", SmtpConnection.trouble(e, host) + " while receiving the initial server greeting", false);
        }
        if (g.code() == 220) {
            return new Opened(conn, where);
        }
        conn.send("QUIT\r\n");
        conn.close();
        String text = "host " + host + " refused to talk to me: " + g.diagnostic();
        boolean permanent = g.code() >= 500 && g.code() < 600;
        if (permanent && !settings.nextHops().skip5xxGreeting()) {
            return new Failed(where, g.dsn(), text, true);
        }
        String dsn = g.dsn();
        return new Failed(where, dsn.startsWith("5") ? "4" + dsn.substring(1) : dsn, text, false);
    }
}

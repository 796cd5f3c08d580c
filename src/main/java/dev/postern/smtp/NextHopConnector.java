package dev.postern.smtp;

import dev.postern.dns.MxList;
import dev.postern.dns.Resolver;
import dev.postern.log.MailLog;
import dev.postern.util.IpAddresses;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Opens a greeted connection to a next hop, as Postfix's smtp_connect.c: the addresses from
 * {@link MxList} in order (MX lookup unless {@code [host]}), moving on after a connection failure
 * or a greeting other than 220, and after a 5xx greeting too when smtp_skip_5xx_greeting = yes;
 * at most smtp_mx_session_limit servers that answered the connection. Runs on the delivery worker
 * thread: DNS lookups block and must never run on a Netty event loop.
 */
final class NextHopConnector {
    sealed interface Outcome permits Opened, Failed {
    }

    /** A connection whose 220 greeting has been read; {@code relay} is {@code host[ip]:port}. */
    record Opened(SmtpConnection connection, String relay) implements Outcome {
    }

    /** Nothing to deliver to; {@code permanent}: bounce. */
    record Failed(String relay, String dsn, String diagnostic, boolean permanent) implements Outcome {
    }

    private final SmtpClientSettings settings;
    private final Resolver resolver;
    private final EventLoopGroup group;
    private final MailLog log;

    NextHopConnector(SmtpClientSettings settings, EventLoopGroup group, MailLog log) {
        this.settings = settings;
        this.log = log;
        this.resolver = Resolver.of(settings.nextHops().dnsServers(), java.time.Duration.ofSeconds(5));
        this.group = group;
    }

    Outcome open(NextHop hop) {
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
        Failed last = null;
        int sessions = 0;
        for (MxList.Target t : ((MxList.Found) r).targets()) {
            if (last != null) {
                log.info("smtp", last.diagnostic()); // as Postfix, each server given up on leaves a line
            }
            String host = t.host() + "[" + IpAddresses.printable(t.address()) + "]";
            String where = host + ":" + hop.port();
            SmtpConnection conn;
            try {
                conn = SmtpConnection.connect(group, new InetSocketAddress(t.address(), hop.port()), settings.connectTimeout());
            } catch (IOException e) {
                last = new Failed("none", "4.4.1", "connect to " + where + ": " + e.getMessage(), false);
                continue;
            }
            sessions++;
            Outcome o = greet(conn, host, where);
            if (o instanceof Opened || ((Failed) o).permanent()) {
                return o;
            }
            last = (Failed) o;
            if (n.sessionLimit() > 0 && sessions >= n.sessionLimit()) {
                break;
            }
        }
        return last != null ? last : new Failed("none", "4.4.3", "Host or domain name not found. Name service error for name="
                + hop.host() + " type=A: Host found but no data record of requested type", false);
    }

    private Outcome greet(SmtpConnection conn, String host, String where) {
        ServerReply g;
        try {
            g = conn.reply(settings.heloTimeout());
        } catch (IOException e) {
            conn.close();
            return new Failed(where, "4.4.2", "lost connection with " + host + " while receiving the initial server greeting", false);
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

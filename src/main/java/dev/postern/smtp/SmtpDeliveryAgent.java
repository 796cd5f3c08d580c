package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import dev.postern.maps.LookupException;
import dev.postern.protocol.NettyTransport;
import dev.postern.tls.TlsClient;
import dev.postern.tls.TlsServer;
import dev.postern.tls.TlsSetupException;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * smtp - the SMTP client delivery agent: one connection per request to the next hop, STARTTLS by
 * TLS policy, the client certificate presented when configured, then MAIL, RCPT, DATA with one
 * result per recipient, worded as Postfix logs them. Never throws for delivery problems.
 */
public final class SmtpDeliveryAgent implements DeliveryAgent, AutoCloseable {
    private final SmtpClientSettings settings;
    private final MailLog log;
    private final TlsClient tls;
    private final EventLoopGroup group;
    private final ConnectionCache cache = new ConnectionCache(Duration.ofSeconds(2));

    /** @throws TlsSetupException when smtp_tls_* files are unusable */
    public SmtpDeliveryAgent(SmtpClientSettings settings, MailLog log) throws TlsSetupException {
        this.settings = settings;
        this.log = log;
        this.tls = TlsClient.create(settings.tls());
        this.group = NettyTransport.newGroup(1, "smtp");
    }

    @Override
    public List<RecipientResult> deliver(DeliveryRequest request) {
        Attempt a = new Attempt(request);
        try {
            a.run();
        } catch (IOException e) {
            a.failRemaining("4.4.2", "lost connection with " + a.relay + " while " + a.stage + (e.getMessage() == null
                    || e.getMessage().equals("lost connection") ? "" : ": " + e.getMessage()));
        } finally {
            if (a.conn != null && !a.cached) {
                a.conn.close();
            }
        }
        return a.results;
    }

    /** One delivery attempt; fields hold its progress so failures can be reported for what is left. */
    private final class Attempt {
        final DeliveryRequest request;
        final List<RecipientResult> results = new ArrayList<>();
        final long start = System.nanoTime();
        long setupDone;
        String relay = "none";
        String stage = "connecting";
        SmtpConnection conn;
        boolean cached;
        List<MailAddress> pending;

        Attempt(DeliveryRequest request) {
            this.request = request;
            this.pending = new ArrayList<>(request.recipients());
        }

        void run() throws IOException {
            NextHop hop;
            try {
                hop = NextHop.parse(request.nexthop());
            } catch (IllegalArgumentException e) {
                failRemaining("4.3.5", "bad next hop \"" + request.nexthop() + "\": " + e.getMessage());
                return;
            }
            TlsPolicy policy;
            try {
                policy = TlsPolicy.lookup(settings.policyMaps(), hop, settings.tlsLevel());
            } catch (LookupException e) {
                failRemaining("4.3.0", "TLS policy lookup for " + hop.text() + " failed: " + e.getMessage());
                return;
            }
            String cacheKey = hop.text() + " " + policy.level() + " " + policy.match();
            if (reuse(cacheKey)) {
                return;
            }
            if (!connect(hop)) {
                return;
            }
            stage = "receiving the initial server greeting";
            ServerReply r = conn.reply(settings.heloTimeout());
            if (r.code() != 220) {
                failRemaining(r, "host " + relayHost() + " refused to talk to me: " + r.diagnostic());
                return;
            }
            List<String> caps = ehlo(policy);
            if (caps == null) {
                return;
            }
            if (policy.usesTls()) {
                caps = startTls(hop, policy, caps);
                if (caps == null) {
                    return;
                }
            }
            setupDone = System.nanoTime();
            transaction(caps);
            keep(cacheKey, caps);
        }

        /**
         * Delivers over a cached connection when one is idle for this next hop. A cached
         * connection that fails its RSET is dropped and a new one is made; nothing was sent yet.
         */
        private boolean reuse(String cacheKey) throws IOException {
            ConnectionCache.Idle idle = cache.take(cacheKey);
            while (idle != null) {
                try {
                    if (idle.connection().command("RSET", settings.heloTimeout()).code() == 250) {
                        conn = idle.connection();
                        relay = idle.relay();
                        setupDone = System.nanoTime();
                        transaction(idle.capabilities());
                        keep(cacheKey, idle.capabilities());
                        return true;
                    }
                } catch (IOException e) {
                    if (conn != null) {
                        throw e; // failed after the transaction started: report it
                    }
                }
                idle.connection().close();
                idle = cache.take(cacheKey);
            }
            return false;
        }

        /** Returns a healthy connection to the cache instead of saying QUIT. */
        private void keep(String cacheKey, List<String> caps) {
            cache.put(cacheKey, conn, relay, caps);
            cached = true;
        }

        private boolean connect(NextHop hop) {
            InetAddress[] addrs;
            try {
                addrs = InetAddress.getAllByName(hop.host());
            } catch (UnknownHostException e) {
                failRemaining("4.4.3", "Host or domain name not found. Name service error for name=" + hop.host()
                        + " type=A: Host not found, try again");
                return false;
            }
            String lastError = null;
            for (InetAddress addr : addrs) {
                String where = hop.host() + "[" + addr.getHostAddress() + "]:" + hop.port();
                try {
                    conn = SmtpConnection.connect(group, new InetSocketAddress(addr, hop.port()), settings.connectTimeout());
                    relay = where;
                    return true;
                } catch (IOException e) {
                    lastError = "connect to " + where + ": " + e.getMessage();
                }
            }
            failRemaining("4.4.1", lastError);
            return false;
        }

        private List<String> ehlo(TlsPolicy policy) throws IOException {
            stage = "sending EHLO";
            ServerReply r = conn.command("EHLO " + settings.heloName(), settings.heloTimeout());
            if (r.code() == 250) {
                return capabilities(r);
            }
            if (policy.usesTls() && !policy.level().equals("may")) {
                failRemaining("4.7.4", "TLS is required, but host " + relayHost() + " refused EHLO: " + r.diagnostic());
                return null;
            }
            r = conn.command("HELO " + settings.heloName(), settings.heloTimeout());
            if (r.code() != 250) {
                failRemaining(r, "host " + relayHost() + " refused to talk to me: " + r.diagnostic());
                return null;
            }
            return List.of();
        }

        private List<String> startTls(NextHop hop, TlsPolicy policy, List<String> caps) throws IOException {
            if (!caps.contains("STARTTLS")) {
                if (policy.mandatory()) {
                    failRemaining("4.7.4", "TLS is required, but was not offered by host " + relayHost());
                    return null;
                }
                return caps;
            }
            stage = "sending STARTTLS";
            ServerReply r = conn.command("STARTTLS", settings.heloTimeout());
            if (r.code() != 220) {
                if (policy.mandatory()) {
                    failRemaining("4.7.5", "TLS is required, but host " + relayHost() + " refused STARTTLS: " + r.diagnostic());
                    return null;
                }
                return caps;
            }
            if (conn.hasUnreadInput()) {
                failRemaining("4.7.5", "Cannot start TLS: host " + relayHost() + " sent data after its STARTTLS reply");
                return null;
            }
            stage = "performing the TLS handshake";
            SslHandler ssl;
            try {
                ssl = conn.startTls(tls.newHandler(io.netty.buffer.ByteBufAllocator.DEFAULT), settings.heloTimeout());
            } catch (IOException e) {
                failRemaining("4.7.5", "Cannot start TLS: handshake failure");
                return null;
            }
            var session = ssl.engine().getSession();
            String summary = TlsServer.describe(session);
            String trust = "Anonymous";
            if (policy.verifiesCertificate() || settings.tlsLogLevel() > 0) {
                boolean secure = policy.level().equals("secure");
                List<String> match = !policy.match().isEmpty() ? policy.match()
                        : secure ? settings.secureMatch() : settings.verifyMatch();
                boolean subdomains = match.stream().anyMatch(m -> m.equalsIgnoreCase("dot-nexthop"));
                List<String> names = new ArrayList<>();
                for (String m : match) {
                    String lm = m.toLowerCase(Locale.ROOT);
                    if (lm.equals("nexthop") || lm.equals("dot-nexthop") || lm.equals("hostname")) {
                        names.add(hop.domain());
                    } else {
                        names.add(m);
                    }
                }
                var check = tls.check(session, names, subdomains);
                trust = check.trustWord();
                if (policy.verifiesCertificate() && !(check.trusted() && check.matched())) {
                    log.info("smtp", "server certificate verification failed for " + relayHost() + ": " + check.problem());
                    log.info("smtp", trust + " TLS connection established to " + relay + ": " + summary);
                    failRemaining("4.7.5", "Server certificate not verified");
                    return null;
                }
            }
            if (settings.tlsLogLevel() > 0) {
                log.info("smtp", trust + " TLS connection established to " + relay + ": " + summary);
            }
            stage = "sending EHLO";
            // RFC 3207 §4.2: forget what the server said before TLS.
            r = conn.command("EHLO " + settings.heloName(), settings.heloTimeout());
            if (r.code() != 250) {
                failRemaining(r, "host " + relayHost() + " refused to talk to me: " + r.diagnostic());
                return null;
            }
            return capabilities(r);
        }

        private void transaction(List<String> caps) throws IOException {
            stage = "sending MAIL FROM";
            StringBuilder mail = new StringBuilder("MAIL FROM:<").append(request.sender()).append('>');
            if (caps.stream().anyMatch(c -> c.startsWith("SIZE"))) {
                mail.append(" SIZE=").append(request.content().size());
            }
            if (request.smtpUtf8() && caps.contains("SMTPUTF8")) {
                mail.append(" SMTPUTF8");
            }
            ServerReply r = conn.command(mail.toString(), settings.heloTimeout());
            if (!r.positive()) {
                failRemaining(r, said(r, "MAIL FROM"));
                return;
            }
            List<MailAddress> accepted = new ArrayList<>();
            stage = "sending RCPT TO";
            for (MailAddress rcpt : new ArrayList<>(pending)) {
                r = conn.command("RCPT TO:<" + rcpt + ">", settings.heloTimeout());
                if (r.positive()) {
                    accepted.add(rcpt);
                } else {
                    result(rcpt, r, said(r, "RCPT TO"));
                }
            }
            if (accepted.isEmpty()) {
                return;
            }
            stage = "sending DATA";
            r = conn.command("DATA", settings.heloTimeout());
            if (r.code() != 354) {
                for (MailAddress a : accepted) {
                    result(a, r, said(r, "DATA"));
                }
                return;
            }
            stage = "sending message body";
            ContentWriter cw = new ContentWriter();
            try (InputStream in = request.content().open()) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = in.read(buf)) > 0) {
                    conn.write(cw.chunk(buf, n));
                }
            }
            conn.write(cw.finish());
            stage = "waiting for the end of data reply";
            r = conn.reply(settings.dataDoneTimeout());
            for (MailAddress a : accepted) {
                if (r.positive()) {
                    pending.remove(a);
                    results.add(new RecipientResult.Sent(a, relay, r.dsn(), r.diagnostic(), setup(), transmission()));
                } else {
                    result(a, r, said(r, "end of DATA"));
                }
            }
        }

        private String said(ServerReply r, String command) {
            return "host " + relayHost() + " said: " + r.diagnostic() + " (in reply to " + command + " command)";
        }

        private String relayHost() {
            int colon = relay.lastIndexOf("]:");
            return colon > 0 ? relay.substring(0, colon + 1) : relay;
        }

        private List<String> capabilities(ServerReply r) {
            List<String> caps = new ArrayList<>();
            for (String line : r.lines().subList(1, r.lines().size())) {
                caps.add(line.length() > 4 ? line.substring(4).trim().toUpperCase(Locale.ROOT) : "");
            }
            return caps;
        }

        private void result(MailAddress rcpt, ServerReply r, String diagnostic) {
            pending.remove(rcpt);
            results.add(r.code() >= 500 && r.code() < 600
                    ? new RecipientResult.Bounced(rcpt, relay, r.dsn(), diagnostic, setup(), transmission())
                    : new RecipientResult.Deferred(rcpt, relay, r.dsn().startsWith("5") ? "4.0.0" : r.dsn(), diagnostic,
                    setup(), transmission()));
        }

        void failRemaining(ServerReply r, String diagnostic) {
            for (MailAddress rcpt : new ArrayList<>(pending)) {
                result(rcpt, r, diagnostic);
            }
        }

        void failRemaining(String dsn, String diagnostic) {
            for (MailAddress rcpt : pending) {
                results.add(new RecipientResult.Deferred(rcpt, relay, dsn, diagnostic, setup(), transmission()));
            }
            pending.clear();
        }

        private Duration setup() {
            return Duration.ofNanos((setupDone == 0 ? System.nanoTime() : setupDone) - start);
        }

        private Duration transmission() {
            return setupDone == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - setupDone);
        }
    }

    @Override
    public void close() {
        cache.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}

package dev.postern.smtpd;

import dev.postern.cleanup.Cleanup;
import dev.postern.log.MailLog;
import dev.postern.protocol.NettyTransport;
import dev.postern.protocol.RequestDeadline;
import dev.postern.protocol.SmtpInputDecoder;
import dev.postern.tls.TlsServer;
import dev.postern.tls.TlsSetupException;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The SMTP server: one listener (a master.cf inet row running smtpd) and its sessions.
 * Pipeline per connection: [tls after STARTTLS] → smtpd_timeout ({@link RequestDeadline}) → {@link SmtpInputDecoder} →
 * {@link SmtpSession} (which reads nothing while its replies cannot be written); behind a proxy (smtpd_upstream_proxy_protocol) {@link UpstreamProxy} alone
 * first, which adds the rest once the PROXY header has named the client ({@link ClientEndpoint}).
 */
public final class Smtpd implements AutoCloseable {
    private final Channel serverChannel;
    private final ChannelGroup sessions;
    /** What new connections get; sessions keep the generation they started with. */
    private final AtomicReference<Generation> current;
    private final MailLog log;

    private Smtpd(Channel serverChannel, ChannelGroup sessions, AtomicReference<Generation> current, MailLog log) {
        this.serverChannel = serverChannel;
        this.sessions = sessions;
        this.current = current;
        this.log = log;
    }

    /**
     * One configuration of a listener, built (TLS contexts, restrictions, tables) before anything
     * listens or swaps, so a broken configuration never replaces a working one.
     */
    public static final class Generation {
        final SmtpdSettings settings;
        final SessionServices services;
        final SessionLimit limit;

        private Generation(SmtpdSettings settings, SessionServices services, SessionLimit limit) {
            this.settings = settings;
            this.services = services;
            this.limit = limit;
        }

        public SmtpdSettings settings() {
            return settings;
        }

        /** The same generation with the rate counters of {@code previous} (they survive a reload, as anvil's do). */
        Generation keepingCounters(Generation previous) {
            if (!previous.settings.rateTimeUnit().equals(settings.rateTimeUnit())) {
                return this;
            }
            SessionServices s = services;
            return new Generation(settings, new SessionServices(s.settings(), s.restrictions(), s.tls(), s.cleanup(),
                    s.log(), previous.services.anvil(), s.limitExceptions(), s.bareNewlineExclusions(), s.clientNames(),
                    s.ehlo()), limit);
        }
    }

    /**
     * Builds TLS and restrictions, failing fast on configuration problems.
     * @throws TlsSetupException for certificate/key problems (and STARTTLS hidden where TLS is required)
     * @throws IllegalArgumentException for bad restrictions or tables
     */
    public static Generation prepare(SmtpdSettings settings, Cleanup cleanup, MailLog log, SessionLimit limit) throws TlsSetupException {
        TlsServer tls = settings.tls() == null ? null : TlsServer.create(settings.tls());
        Restrictions restrictions = Restrictions.compile(settings.restrictions());
        SessionServices services = new SessionServices(settings, restrictions, tls, cleanup, log,
                new Anvil(settings.rateTimeUnit()),
                NetworkList.of(settings.limitExceptions(), settings.restrictions().mynetworksStyle(), "smtpd_client_event_limit_exceptions"),
                NetworkList.of(settings.bareNewlineExclusions(), settings.restrictions().mynetworksStyle(), "smtpd_forbid_bare_newline_exclusions"),
                PeerNames.resolver(settings), EhloOffers.of(settings, log));
        return new Generation(settings, services, limit);
    }

    /** {@link #prepare} then {@link #start(Generation, InetSocketAddress, MailLog, EventLoopGroup, EventLoopGroup)}. */
    public static Smtpd start(SmtpdSettings settings, InetSocketAddress address, Cleanup cleanup, MailLog log,
                              EventLoopGroup acceptors, EventLoopGroup workers, SessionLimit limit)
            throws TlsSetupException, java.io.IOException {
        return start(prepare(settings, cleanup, log, limit), address, log, acceptors, workers);
    }

    /**
     * Binds {@code address} and serves it with {@code generation}.
     * @throws java.io.IOException when the address cannot be bound
     */
    public static Smtpd start(Generation generation, InetSocketAddress address, MailLog log,
                              EventLoopGroup acceptors, EventLoopGroup workers) throws java.io.IOException {
        ChannelGroup sessions = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        AtomicReference<Generation> current = new AtomicReference<>(generation);
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(NettyTransport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .handler(new AcceptCounter(current, log))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        sessions.add(ch);
                        Generation g = ch.hasAttr(GENERATION) ? ch.attr(GENERATION).get() : current.get();
                        if (ch.hasAttr(OVER_LIMIT)) {
                            refuse(ch, g.settings);
                            return;
                        }
                        if (g.settings.behindProxy()) {
                            ch.pipeline().addLast("proxy", new UpstreamProxy(g.services.log(), g.settings.serviceName(),
                                    g.settings.upstreamProxyTimeout(), c -> addSession(c, g)));
                        } else {
                            addSession(ch, g);
                        }
                    }
                });
        try {
            Channel ch = b.bind(address).sync().channel();
            generation.limit.listening(ch);
            watchStress(generation.limit, sessions);
            return new Smtpd(ch, sessions, current, log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException("interrupted while binding " + address);
        } catch (Exception e) {
            throw new java.io.IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    /** When the service comes under stress, every open session re-arms its timeout (RequestDeadline.STRESS). */
    private static void watchStress(SessionLimit limit, java.util.Collection<? extends Channel> sessions) {
        limit.onStress(() -> sessions.forEach(ch -> ch.pipeline().fireUserEventTriggered(RequestDeadline.STRESS)));
    }

    /** The session's handlers; behind a proxy, added once its header has named the client. */
    private static void addSession(Channel ch, Generation g) {
        SmtpdSettings settings = g.settings;
        SmtpInputDecoder decoder = new SmtpInputDecoder(settings.commandLineLimit());
        RequestDeadline deadline = new RequestDeadline(settings.timeout().toMillis(),
                settings.perRequestDeadline(), settings.minDataRate(), settings.stress().timeout().toMillis(),
                settings.stress().perRequestDeadline(),
                g.limit::stressed);
        ch.pipeline().addLast("timeout", deadline);
        ch.pipeline().addLast("decoder", decoder);
        ch.pipeline().addLast("session", new SmtpSession(g.services, decoder, deadline));
    }

    /**
     * Reload: connections accepted from now on get {@code next}; sessions in progress finish with
     * the generation they started with. The bound socket stays open, so no client is refused.
     */
    public void swap(Generation next) {
        Generation previous = current.get();
        Generation g = next.keepingCounters(previous);
        if (g.limit != previous.limit) {
            previous.limit.stopListening(serverChannel);
            g.limit.listening(serverChannel);
            g.limit.resume(serverChannel); // the old limit may have paused it
            watchStress(g.limit, sessions);
        }
        current.set(g);
    }

    /** The sessions open now (a reload waits for these before closing what only they use). */
    public java.util.List<Channel> openSessions() {
        return java.util.List.copyOf(sessions);
    }

    private static final AttributeKey<Boolean> OVER_LIMIT = AttributeKey.valueOf("postern.overLimit");
    private static final AttributeKey<Generation> GENERATION = AttributeKey.valueOf("postern.generation");
    private static final AttributeKey<SessionLimit.Slot> SLOT = AttributeKey.valueOf("postern.slot");

    /** The connection's place in its service's limit, or null (sessions built without a listener). */
    static SessionLimit.Slot slot(Channel ch) {
        return ch.hasAttr(SLOT) ? ch.attr(SLOT).get() : null;
    }

    /**
     * Counts sessions where connections are accepted, on the acceptor's event loop: pausing the
     * accept loop from here takes effect before the next accept (Netty stops its read loop as soon
     * as autoRead is off), whereas pausing it from a session's thread lets one more batch in.
     */
    private static final class AcceptCounter extends ChannelInboundHandlerAdapter {
        private final AtomicReference<Generation> current;
        private final AcceptErrors errors;

        AcceptCounter(AtomicReference<Generation> current, MailLog log) {
            this.current = current;
            this.errors = new AcceptErrors(log);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                Generation g = current.get();
                SessionLimit limit = g.limit; // the limit this session counts against, even after a reload
                child.attr(GENERATION).set(g);
                SessionLimit.Slot slot = limit.open(child);
                if (slot.refused()) {
                    child.attr(OVER_LIMIT).set(Boolean.TRUE);
                } else {
                    child.attr(SLOT).set(slot);
                }
                child.closeFuture().addListener(f -> limit.close(slot));
            }
            ctx.fireChannelRead(msg);
        }

        /**
         * accept() failed (EMFILE, ENFILE, ENOBUFS): Netty's acceptor would log a stack trace; this
         * pauses accepting for a while instead and says so once per interval.
         */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.failed(ctx.channel(), cause, current.get().limit);
        }
    }

    /**
     * A connection the accept loop took just before it paused at the process limit. Postfix never
     * has one (its master stops listening first); the nearest it says is this. On an implicit-TLS
     * port nothing is said in plaintext: the connection is closed.
     */
    private static void refuse(SocketChannel ch, SmtpdSettings settings) {
        if (settings.wrapperMode()) {
            ch.close();
            return;
        }
        ch.writeAndFlush(Unpooled.copiedBuffer("421 4.3.2 Service currently unavailable\r\n", StandardCharsets.US_ASCII))
                .addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Builds what a listener needs without binding, so configuration problems surface before
     * start (and in {@code postern check}).
     * @return {@link TlsServer#library()} of the listener's TLS, or null without TLS
     */
    public static String validate(SmtpdSettings settings) throws TlsSetupException {
        String library = null;
        if (settings.tls() != null) {
            library = TlsServer.create(settings.tls()).library();
            dev.postern.tls.ServerCertificateLint.refuseExpired(settings.tls(), java.time.Instant.now());
        }
        Restrictions.compile(settings.restrictions());
        // The network lists prepare() builds: a bad entry fails check, not only the start.
        NetworkList.of(settings.limitExceptions(), settings.restrictions().mynetworksStyle(), "smtpd_client_event_limit_exceptions");
        NetworkList.of(settings.bareNewlineExclusions(), settings.restrictions().mynetworksStyle(), "smtpd_forbid_bare_newline_exclusions");
        EhloDiscardCheck.refuseUnusable(settings);
        EhloOffers.open(settings);
        return library;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    /** {@link TlsServer#library()} of the current settings; null without TLS. */
    public String tlsLibrary() {
        TlsServer tls = current.get().services.tls();
        return tls == null ? null : tls.library();
    }

    /** Stops accepting at once. */
    public void stopAccepting() {
        current.get().limit.stopListening(serverChannel);
        serverChannel.close().syncUninterruptibly();
    }

    /**
     * Waits up to {@code graceMillis} for open sessions to end, then closes the rest. A session
     * cut here had no 250 for its unfinished message, so nothing acknowledged is lost.
     */
    @Override
    public void close() {
        close(10_000);
    }

    public void close(long graceMillis) {
        stopAccepting();
        long deadline = System.currentTimeMillis() + graceMillis;
        while (!sessions.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!sessions.isEmpty()) {
            log.info(current.get().settings.serviceName(), "closing " + sessions.size() + " session(s) at shutdown");
        }
        sessions.close().syncUninterruptibly();
    }
}

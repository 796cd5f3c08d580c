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
import java.util.concurrent.Executor;

/**
 * The SMTP server: one listener (a master.cf inet row running smtpd) and its sessions.
 * Pipeline per connection: [tls after STARTTLS] → smtpd_timeout ({@link RequestDeadline}) → {@link SmtpInputDecoder} →
 * {@link SmtpSession}.
 */
public final class Smtpd implements AutoCloseable {
    private final Channel serverChannel;
    private final ChannelGroup sessions;
    private final SmtpdSettings settings;
    private final MailLog log;

    private Smtpd(Channel serverChannel, ChannelGroup sessions, SmtpdSettings settings, MailLog log) {
        this.serverChannel = serverChannel;
        this.sessions = sessions;
        this.settings = settings;
        this.log = log;
    }

    /**
     * Builds TLS and restrictions (failing fast on configuration problems) and binds.
     * @throws TlsSetupException for certificate/key problems
     * @throws IllegalArgumentException for bad restrictions or tables
     * @throws java.io.IOException when the address cannot be bound
     */
    public static Smtpd start(SmtpdSettings settings, InetSocketAddress address, Cleanup cleanup, MailLog log,
                              EventLoopGroup acceptors, EventLoopGroup workers, Executor blocking, SessionLimit limit)
            throws TlsSetupException, java.io.IOException {
        TlsServer tls = settings.tls() == null ? null : TlsServer.create(settings.tls());
        Restrictions restrictions = Restrictions.compile(settings.restrictions());
        SessionServices services = new SessionServices(settings, restrictions, tls, cleanup, log,
                new Anvil(settings.rateTimeUnit()),
                NetworkList.of(settings.limitExceptions(), settings.restrictions().mynetworksStyle()), blocking,
                PeerNames.resolver(settings));
        ChannelGroup sessions = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        int maxLine = Math.max(512, settings.lineLengthLimit());
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(NettyTransport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .handler(new AcceptCounter(limit))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        sessions.add(ch);
                        if (ch.hasAttr(OVER_LIMIT)) {
                            refuse(ch, settings);
                            return;
                        }
                        SmtpInputDecoder decoder = new SmtpInputDecoder(maxLine);
                        RequestDeadline deadline = new RequestDeadline(settings.timeout().toMillis(),
                                settings.perRequestDeadline(), settings.minDataRate());
                        ch.pipeline().addLast("timeout", deadline);
                        ch.pipeline().addLast("decoder", decoder);
                        ch.pipeline().addLast("session", new SmtpSession(services, decoder, deadline));
                    }
                });
        try {
            Channel ch = b.bind(address).sync().channel();
            limit.listening(ch);
            return new Smtpd(ch, sessions, settings, log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.IOException("interrupted while binding " + address);
        } catch (Exception e) {
            throw new java.io.IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    private static final AttributeKey<Boolean> OVER_LIMIT = AttributeKey.valueOf("postern.overLimit");

    /**
     * Counts sessions where connections are accepted, on the acceptor's event loop: pausing the
     * accept loop from here takes effect before the next accept (Netty stops its read loop as soon
     * as autoRead is off), whereas pausing it from a session's thread lets one more batch in.
     */
    private static final class AcceptCounter extends ChannelInboundHandlerAdapter {
        private final SessionLimit limit;

        AcceptCounter(SessionLimit limit) {
            this.limit = limit;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                if (!limit.open()) {
                    child.attr(OVER_LIMIT).set(Boolean.TRUE);
                }
                child.closeFuture().addListener(f -> limit.close());
            }
            ctx.fireChannelRead(msg);
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
     */
    public static void validate(SmtpdSettings settings) throws TlsSetupException {
        if (settings.tls() != null) {
            TlsServer.create(settings.tls());
        }
        Restrictions.compile(settings.restrictions());
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) serverChannel.localAddress();
    }

    public String tlsProvider() {
        return settings.tls() == null ? "none" : "configured";
    }

    /** Stops accepting at once. */
    public void stopAccepting() {
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
            log.info(settings.serviceName(), "closing " + sessions.size() + " session(s) at shutdown");
        }
        sessions.close().syncUninterruptibly();
    }
}

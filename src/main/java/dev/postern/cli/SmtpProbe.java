package dev.postern.cli;

import dev.postern.protocol.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted SMTP client for {@code postern test}: send a line, read a reply, upgrade to TLS with a
 * given client certificate. Blocking on purpose (it is a checker, not a transport).
 */
public final class SmtpProbe implements AutoCloseable {
    private static final String CLOSED = "\u0000closed";

    private final EventLoopGroup group;
    private final boolean ownsGroup;
    private final Channel channel;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final long timeoutMillis;
    private volatile SslHandler tls;

    SmtpProbe(InetSocketAddress address, long timeoutMillis) throws IOException {
        this(NettyTransport.newGroup(1, "probe"), true, address, timeoutMillis);
    }

    /** On a shared event loop group (the load generator's), which this probe does not close. */
    public SmtpProbe(EventLoopGroup group, InetSocketAddress address, long timeoutMillis) throws IOException {
        this(group, false, address, timeoutMillis);
    }

    private SmtpProbe(EventLoopGroup group, boolean ownsGroup, InetSocketAddress address, long timeoutMillis)
            throws IOException {
        this.timeoutMillis = timeoutMillis;
        this.group = group;
        this.ownsGroup = ownsGroup;
        try {
            channel = new Bootstrap().group(group).channel(NettyTransport.clientChannel())
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new LineBasedFrameDecoder(8192), new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                    lines.add(msg.toString(StandardCharsets.UTF_8).replace("\r", ""));
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    lines.add(CLOSED);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    }).connect(address).sync().channel();
        } catch (Exception e) {
            if (ownsGroup) {
                group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            }
            throw new IOException("cannot connect to " + address + ": " + e.getMessage(), e);
        }
    }

    /** The next reply (multi-line joined by newline), or "(connection closed)". */
    public String reply() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            String line;
            try {
                line = lines.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (line == null) {
                throw new IOException("no reply within " + timeoutMillis + " ms");
            }
            if (line.equals(CLOSED)) {
                lines.add(CLOSED);
                return sb.length() == 0 ? "(connection closed)" : sb.toString();
            }
            sb.append(sb.length() == 0 ? "" : "\n").append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return sb.toString();
            }
        }
    }

    public String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    public void send(String raw) {
        channel.writeAndFlush(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
    }

    /** Starts TLS; returns null on success or the handshake failure. */
    public String startTls(SslContext context, String host, int port) {
        SslHandler ssl = context.newHandler(channel.alloc(), host, port);
        this.tls = ssl;
        channel.pipeline().addFirst(ssl);
        try {
            if (!ssl.handshakeFuture().await(timeoutMillis)) {
                return "TLS handshake timed out";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        Throwable cause = ssl.handshakeFuture().cause();
        return cause == null ? null : String.valueOf(cause.getMessage());
    }

    /** Whether the TLS handshake resumed a session (OpenSSL provider only; false before STARTTLS). */
    public boolean resumed() {
        SslHandler h = tls;
        return h != null && dev.postern.tls.TlsServer.resumed(h.engine());
    }

    /** The reply code of a reply from {@link #reply()}, 0 for "(connection closed)" or garbage. */
    public static int code(String reply) {
        try {
            int last = reply.lastIndexOf('\n');
            return Integer.parseInt(reply.substring(last + 1, last + 4));
        } catch (RuntimeException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        if (ownsGroup) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}

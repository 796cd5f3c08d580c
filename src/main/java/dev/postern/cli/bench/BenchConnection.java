package dev.postern.cli.bench;

import dev.postern.protocol.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** One load-generator SMTP connection on a shared event loop, used synchronously by its worker thread. */
final class BenchConnection implements AutoCloseable {
    private static final String CLOSED = "\u0000";
    private final Channel channel;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    BenchConnection(EventLoopGroup group, InetSocketAddress address) throws IOException {
        var f = new Bootstrap().group(group).channel(NettyTransport.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("lines", new LineBasedFrameDecoder(8192)).addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                lines.add(msg.toString(StandardCharsets.US_ASCII));
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
                }).connect(address).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("connect " + address + ": " + f.cause());
        }
        channel = f.channel();
    }

    /** Reads one reply; returns its code (the last line's), 0 on close/timeout. */
    int reply() throws IOException {
        while (true) {
            String l;
            try {
                l = lines.poll(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (l == null || l.equals(CLOSED)) {
                return 0;
            }
            if (l.length() >= 4 && l.charAt(3) == '-') {
                continue;
            }
            try {
                return Integer.parseInt(l.substring(0, 3));
            } catch (RuntimeException e) {
                return 0;
            }
        }
    }

    int command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    void send(String text) {
        channel.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    void startTls(SslContext ctx) throws IOException {
        InetSocketAddress peer = (InetSocketAddress) channel.remoteAddress();
        SslHandler h = ctx.newHandler(channel.alloc(), peer.getHostString(), peer.getPort());
        channel.pipeline().addFirst(h);
        if (!h.handshakeFuture().awaitUninterruptibly(60_000) || !h.handshakeFuture().isSuccess()) {
            throw new IOException("TLS handshake failed: " + h.handshakeFuture().cause());
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}

package dev.postern.cli;

import dev.postern.protocol.CommandLine;
import dev.postern.protocol.NettyTransport;
import dev.postern.protocol.SmtpInput;
import dev.postern.protocol.SmtpInputDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A next-hop that accepts every message: the demo's and the benchmark's "smarthost". Messages are
 * written to {@code dir/NNNNNN.eml} (envelope in X-Sink-* lines first) or counted only.
 * Not an MTA: no queue, no TLS, no fsync.
 */
final class SinkServer implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel channel;
    private final AtomicLong received = new AtomicLong();

    SinkServer(InetSocketAddress address, Path dir) throws InterruptedException {
        group = NettyTransport.newGroup(1, "sink");
        // SO_REUSEADDR as every server: a restarted sink binds its port at once, past TIME_WAIT.
        channel = new ServerBootstrap().group(group).channel(NettyTransport.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SmtpInputDecoder decoder = new SmtpInputDecoder(4096);
                        ch.pipeline().addLast(decoder, new Session(decoder, dir));
                    }
                }).bind(address).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    long received() {
        return received.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Session extends SimpleChannelInboundHandler<SmtpInput> {
        private final SmtpInputDecoder decoder;
        private final Path dir;
        private final StringBuilder envelope = new StringBuilder();
        private ByteBuf message;

        Session(SmtpInputDecoder decoder, Path dir) {
            this.decoder = decoder;
            this.dir = dir;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            reply(ctx, "220 sink.invalid ESMTP Postern sink");
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, SmtpInput in) {
            if (in instanceof SmtpInput.Content c) {
                if (message != null) {
                    message.writeBytes(c.bytes());
                }
            } else if (in instanceof SmtpInput.EndOfData) {
                long n = received.incrementAndGet();
                save(n);
                reply(ctx, "250 2.0.0 Ok: queued as SINK" + n);
            } else if (in instanceof SmtpInput.Command cmd) {
                CommandLine line = CommandLine.parse(cmd.line());
                switch (line.verb()) {
                    case EHLO -> reply(ctx, "250-sink.invalid\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 0");
                    case HELO, NOOP -> reply(ctx, "250 sink.invalid");
                    case MAIL -> {
                        envelope.setLength(0);
                        envelope.append("X-Sink-Mail: ").append(line.argument()).append("\r\n");
                        reply(ctx, "250 2.1.0 Ok");
                    }
                    case RCPT -> {
                        envelope.append("X-Sink-Rcpt: ").append(line.argument()).append("\r\n");
                        reply(ctx, "250 2.1.5 Ok");
                    }
                    case DATA -> {
                        message = ctx.alloc().buffer();
                        decoder.startData();
                        reply(ctx, "354 End data with <CR><LF>.<CR><LF>");
                    }
                    case RSET -> reply(ctx, "250 2.0.0 Ok");
                    case QUIT -> ctx.writeAndFlush(Unpooled.copiedBuffer("221 2.0.0 Bye\r\n", StandardCharsets.US_ASCII))
                            .addListener(ChannelFutureListener.CLOSE);
                    default -> reply(ctx, "502 5.5.2 Error: command not recognized");
                }
            }
        }

        private void save(long n) {
            ByteBuf m = message;
            message = null;
            if (m == null) {
                return;
            }
            try {
                if (dir != null) {
                    Files.createDirectories(dir);
                    try (OutputStream out = Files.newOutputStream(dir.resolve(String.format("%06d.eml", n)))) {
                        out.write(envelope.toString().getBytes(StandardCharsets.UTF_8));
                        m.readBytes(out, m.readableBytes());
                    }
                }
            } catch (IOException e) {
                System.err.println("postern sink: cannot save message: " + e.getMessage());
            } finally {
                m.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (message != null) {
                message.release();
                message = null;
            }
        }

        private void reply(ChannelHandlerContext ctx, String text) {
            ctx.writeAndFlush(Unpooled.copiedBuffer(text + "\r\n", StandardCharsets.US_ASCII));
        }
    }
}

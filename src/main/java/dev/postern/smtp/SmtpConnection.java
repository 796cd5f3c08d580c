package dev.postern.smtp;

import dev.postern.protocol.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One SMTP client connection on Netty, used synchronously by a delivery worker: send a command,
 * wait for the reply with a timeout. Replies are parsed into {@link ServerReply}. What a server
 * can make this side hold is bounded ({@link ReplyDecoder}): reply lines of at most 2048 bytes, at
 * most 1000 lines or 1 MiB per reply; past that the connection is closed and the reply fails with
 * "response longer than ...".
 */
final class SmtpConnection implements AutoCloseable {
    private static final Object CLOSED = new Object();

    private final long opened = System.nanoTime();
    private final Channel channel;
    private final BlockingQueue<Object> lines;
    private ReplyDecoder decoder;
    private volatile Consumer<String> warnings = w -> { };

    private SmtpConnection(Channel channel, ReplyDecoder decoder, BlockingQueue<Object> lines) {
        this.channel = channel;
        this.decoder = decoder;
        this.lines = lines;
    }

    /** System.nanoTime() when the connection was made (smtp_connection_reuse_time_limit). */
    long opened() {
        return opened;
    }

    static SmtpConnection connect(EventLoopGroup group, InetSocketAddress address, Duration timeout) throws IOException {
        BlockingQueue<Object> q = new LinkedBlockingQueue<>();
        ReplyDecoder decoder = new ReplyDecoder(q::size);
        Bootstrap b = new Bootstrap().group(group).channel(NettyTransport.clientChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("lines", decoder).addLast("replies", new SimpleChannelInboundHandler<Object>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
                                q.add(msg); // a ReplyDecoder.Line or Limit
                            }

                            @Override
                            public void channelInactive(ChannelHandlerContext ctx) {
                                q.add(CLOSED);
                            }

                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        });
                    }
                });
        var f = b.connect(address).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable c = f.cause();
            String msg = c == null ? "failed" : c.getMessage();
            if (msg != null && msg.contains("Connection refused")) {
                msg = "Connection refused";
            } else if (c instanceof io.netty.channel.ConnectTimeoutException) {
                msg = "Connection timed out";
            }
            throw new IOException(msg);
        }
        return new SmtpConnection(f.channel(), decoder, q);
    }

    ServerReply reply(Duration timeout) throws IOException {
        List<String> got = null; // only multi-line replies need a list
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object o;
            try {
                o = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (o == null) {
                throw new IOException("conversation timed out");
            }
            if (o == CLOSED) {
                lines.add(CLOSED);
                throw new IOException("lost connection");
            }
            if (o instanceof ReplyDecoder.Limit limit) {
                lines.add(limit); // the channel is closing: later calls fail the same way
                throw new IOException(limit.text());
            }
            ReplyDecoder.Line framed = (ReplyDecoder.Line) o;
            String line = framed.text();
            if (framed.truncated()) {
                warnings.accept("response longer than " + ReplyDecoder.LINE_LIMIT + ": "
                        + printable(line.substring(0, Math.min(30, line.length()))) + "...");
            }
            boolean last = line.length() < 4 || line.charAt(3) != '-';
            if (last && got == null) {
                return ServerReply.parse(List.of(line));
            }
            if (got == null) {
                got = new ArrayList<>();
            }
            got.add(line);
            if (last) {
                return ServerReply.parse(got);
            }
        }
    }

    /** Where Postfix-style warnings go (a truncated reply line), without the server's name; nowhere by default. */
    void onWarning(Consumer<String> sink) {
        warnings = sink;
    }

    private static String printable(String s) {
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }

    ServerReply command(String line, Duration timeout) throws IOException {
        send(line + "\r\n");
        return reply(timeout);
    }

    /**
     * Sends commands in one write and one flush without waiting for the write to complete: the
     * caller waits for the replies anyway, and a failed write closes the channel (exceptionCaught),
     * which {@link #reply} reports as a lost connection. Saves a thread hand-off per command.
     */
    void send(CharSequence text) {
        ByteBuf b = channel.alloc().buffer(text.length() + 16);
        b.writeCharSequence(text, StandardCharsets.UTF_8);
        channel.writeAndFlush(b, channel.voidPromise());
    }

    /** Writes and waits until the bytes are handed to the socket, so a large body never piles up in memory. */
    void write(ByteBuf data) throws IOException {
        var f = channel.writeAndFlush(data).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("lost connection: " + (f.cause() == null ? "write failed" : f.cause().getMessage()));
        }
    }

    /** The last write before a reply is awaited: like {@link #send}, nothing to wait for. */
    void writeLast(ByteBuf data) {
        channel.writeAndFlush(data, channel.voidPromise());
    }

    ByteBuf buffer(int capacity) {
        return channel.alloc().buffer(capacity);
    }

    /** True when the connection is open and the server sent nothing unasked, so it can take a new transaction. */
    boolean idle() {
        return channel.isActive() && lines.isEmpty();
    }

    /** True when the server sent anything beyond the STARTTLS reply (response injection). */
    boolean hasUnreadInput() {
        if (!lines.isEmpty()) {
            return true;
        }
        // The decoder's buffer belongs to the event loop: ask there, not from this worker thread.
        ReplyDecoder d = decoder;
        try {
            return channel.eventLoop().submit(() -> d.pending() > 0).get(5, TimeUnit.SECONDS) || !lines.isEmpty();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return true; // cannot tell: treat as injected input, which fails safe (no TLS, no mail)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
    }

    /** Starts TLS; the old line decoder (and anything it held) is replaced. */
    SslHandler startTls(SslHandler ssl, Duration timeout) throws IOException {
        ReplyDecoder fresh = new ReplyDecoder(lines::size);
        channel.pipeline().replace("lines", "lines", fresh);
        decoder = fresh;
        channel.pipeline().addFirst("tls", ssl);
        ssl.setHandshakeTimeoutMillis(timeout.toMillis());
        var f = ssl.handshakeFuture().awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("handshake failure" + (f.cause() == null ? "" : ": " + f.cause().getMessage()));
        }
        return ssl;
    }

    /** True once STARTTLS has put TLS in the pipeline (SASL security options differ with TLS). */
    boolean encrypted() {
        return channel.pipeline().get(SslHandler.class) != null;
    }

    InetSocketAddress remote() {
        return (InetSocketAddress) channel.remoteAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }
}

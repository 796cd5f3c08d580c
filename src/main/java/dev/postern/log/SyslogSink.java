package dev.postern.log;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The local syslog socket ({@code /dev/log}), one datagram per record, as glibc's syslog(3)
 * sends them for Postfix. Java 17 has no AF_UNIX datagram sockets (JEP 380 brought stream sockets
 * only), so this uses Netty's native epoll transport, which Postern already ships for its
 * listeners: no new dependency, and Netty is maintained. junixsocket would work too but adds a
 * second native library; UDP to 127.0.0.1:514 is not what Postfix does and most rsyslog setups do
 * not listen there. Like syslog(3), a send that fails (rsyslog restarted and recreated the
 * socket) reconnects once and resends.
 */
final class SyslogSink implements LogSink {
    private static final long SEND_TIMEOUT_SECONDS = 10;

    private final Path socket;
    private final EventLoopGroup group;
    private final List<Sent> pending = new ArrayList<>();
    private Channel channel;

    private SyslogSink(Path socket) {
        this.socket = socket;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("syslog", true), EpollIoHandler.newFactory());
    }

    /** Why syslog cannot be used here, or null when it can: no native transport, or no socket at {@code path}. */
    static String unavailable(Path socket) {
        if (!Epoll.isAvailable()) {
            return "syslog needs Netty's native epoll transport (Linux x86_64), which is unavailable: "
                    + Epoll.unavailabilityCause().getMessage();
        }
        if (!Files.exists(socket)) {
            return "no syslog socket at " + socket + " (is rsyslog or systemd-journald running?)";
        }
        return null;
    }

    static SyslogSink open(Path socket) throws IOException {
        SyslogSink s = new SyslogSink(socket);
        try {
            s.connect();
        } catch (IOException e) {
            s.group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        return s;
    }

    private void connect() throws IOException {
        ChannelFuture f = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(new DomainSocketAddress(socket.toFile()));
        if (!f.awaitUninterruptibly(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS) || !f.isSuccess()) {
            f.channel().close();
            throw new IOException("cannot connect to syslog socket " + socket + ": " + cause(f));
        }
        channel = f.channel();
    }

    @Override
    public void write(byte[] record) throws IOException {
        if (channel == null || !channel.isActive()) {
            connect();
        }
        pending.add(new Sent(record, channel.write(Unpooled.wrappedBuffer(record))));
    }

    /**
     * Sends what was written and waits for it. Datagrams that failed (the socket went away) are
     * sent again once over a new connection; if that fails too the error is reported.
     */
    @Override
    public void flush() throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        List<Sent> batch = List.copyOf(pending);
        pending.clear();
        channel.flush();
        List<byte[]> failed = new ArrayList<>();
        for (Sent s : batch) {
            if (!s.future().awaitUninterruptibly(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS) || !s.future().isSuccess()) {
                failed.add(s.record());
            }
        }
        if (failed.isEmpty()) {
            return;
        }
        String why = cause(batch.get(batch.size() - 1).future());
        channel.close();
        connect();
        for (byte[] r : failed) {
            pending.add(new Sent(r, channel.write(Unpooled.wrappedBuffer(r))));
        }
        channel.flush();
        List<Sent> retry = List.copyOf(pending);
        pending.clear();
        for (Sent s : retry) {
            if (!s.future().awaitUninterruptibly(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS) || !s.future().isSuccess()) {
                throw new IOException("cannot send to syslog socket " + socket + ": " + cause(s.future())
                        + " (first attempt: " + why + ")");
            }
        }
    }

    private record Sent(byte[] record, ChannelFuture future) {
    }

    private static String cause(ChannelFuture f) {
        return f.cause() == null ? (f.isDone() ? "failed" : "timed out") : String.valueOf(f.cause().getMessage());
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().awaitUninterruptibly(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}

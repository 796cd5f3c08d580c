package dev.postern.protocol;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** Netty transport choice: native epoll on Linux when it loads, NIO otherwise. */
public final class NettyTransport {
    private static final boolean EPOLL = Epoll.isAvailable();

    private NettyTransport() {}

    public static EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
        // Netty 4.2's event loop waits at most a second when nothing is scheduled
        // (SingleThreadEventExecutor.deadlineNanos: now + SCHEDULE_PURGE_INTERVAL), and otherwise
        // until its next scheduled task: one task an hour ahead lets an idle loop sleep (each
        // loop woke once a second, half of an idle daemon's remaining CPU; bench/idle-cpu.sh).
        for (io.netty.util.concurrent.EventExecutor loop : group) {
            loop.scheduleAtFixedRate(NettyTransport::idle, 1, 1, java.util.concurrent.TimeUnit.HOURS);
        }
        return group;
    }

    private static void idle() {
        // nothing: the task's deadline is what counts
    }

    public static Class<? extends ServerSocketChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    public static Class<? extends SocketChannel> clientChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /**
     * Sends the ACK the kernel is delaying for what was just read, at once (Linux TCP_QUICKACK;
     * epoll only: the NIO fallback runs where the native transport does not load). For the moments
     * a peer with Nagle on waits for our ACK and we have nothing to write that would carry it.
     */
    public static void quickAck(io.netty.channel.Channel channel) {
        if (channel instanceof EpollSocketChannel epoll) {
            try {
                epoll.config().setTcpQuickAck(true);
            } catch (io.netty.channel.ChannelException e) {
                // closing: nothing left to acknowledge
            }
        }
    }

    public static String name() {
        return EPOLL ? "epoll" : "nio";
    }
}

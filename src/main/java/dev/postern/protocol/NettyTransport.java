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
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
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

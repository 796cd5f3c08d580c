package dev.postern.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A syslog daemon's receiving end for tests: an AF_UNIX datagram socket bound at a path of the
 * test's own (what rsyslog's imuxsock binds at /dev/log), recording each datagram as one message.
 */
public final class SyslogReceiver implements AutoCloseable {
    private final Path path;
    private final EventLoopGroup group;
    private final Channel channel;
    private final List<String> messages = new ArrayList<>();

    private SyslogReceiver(Path path) throws IOException {
        this.path = path;
        this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            channel = new Bootstrap().group(group).channel(EpollDomainDatagramChannel.class)
                    .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                            synchronized (messages) {
                                messages.add(p.content().toString(StandardCharsets.UTF_8));
                                messages.notifyAll();
                            }
                        }
                    })
                    .bind(new DomainSocketAddress(path.toFile())).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("interrupted binding " + path);
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** Binds at {@code path} (its directory must exist). Skips the test where Netty's epoll transport is unavailable. */
    public static SyslogReceiver bind(Path path) throws IOException {
        Assumptions.assumeTrue(Epoll.isAvailable(), "Netty epoll transport unavailable: " + Epoll.unavailabilityCause());
        return new SyslogReceiver(path);
    }

    public Path path() {
        return path;
    }

    public List<String> messages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }

    /** Waits until a message matches {@code regex} (find); returns it. */
    public String await(String regex, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (messages) {
            while (true) {
                for (String m : messages) {
                    if (p.matcher(m).find()) {
                        return m;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no syslog message matched /" + regex + "/; got:\n" + String.join("\n", messages));
                }
                TimeUnit.NANOSECONDS.timedWait(messages, left);
            }
        }
    }

    /** Closes the socket and removes its file, as a syslog daemon that stops. */
    @Override
    public void close() throws IOException {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        Files.deleteIfExists(path);
    }
}

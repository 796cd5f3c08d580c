package dev.postern.smtpd;

import dev.postern.log.MailLog;
import dev.postern.protocol.PostfixEscape;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * smtpd_upstream_proxy_protocol = haproxy: reads the PROXY protocol header (v1 text or v2 binary,
 * Netty's {@link HAProxyMessageDecoder}) that a load balancer sends before any SMTP, records the
 * client it names as the session's {@link ClientEndpoint}, and only then starts the session.
 *
 * <p>As Postfix's smtpd_haproxy.c and haproxy_srvr.c: TCP4 and TCP6 headers name the client; a v2
 * LOCAL header (the proxy's own health check) keeps the proxy's address; anything else (v1
 * UNKNOWN, v2 UNSPEC/UNIX/UDP, a malformed header, end of input, or no complete header within
 * smtpd_upstream_proxy_timeout) is logged as {@code warning: haproxy read: <why>} and the session
 * runs as unknown[unknown], which is hung up on with 421 4.3.0 before any command. Postfix refuses
 * UNKNOWN on purpose: it "would sidestep address-based access control mechanisms".
 *
 * <p>The decoder runs in a private {@link EmbeddedChannel} so that its failure (it closes its
 * channel and throws) turns into Postfix's 421 rather than a silent drop. Bytes that arrive with
 * the header (an implicit-TLS ClientHello, pipelined SMTP) are held until the session first asks
 * to read, then sent from the head of the pipeline, so a TLS handler the session added first sees
 * them.
 */
final class UpstreamProxy extends ChannelDuplexHandler {
    /** How much of a bad header the warning quotes (a v1 header is at most 107 bytes). */
    private static final int QUOTED_BYTES = 108;

    private final MailLog log;
    private final String service;
    private final Duration timeout;
    /** Adds the session's handlers after this one (they have not seen channelActive yet). */
    private final Consumer<io.netty.channel.Channel> startSession;
    private final StringBuilder received = new StringBuilder();
    private EmbeddedChannel decoder;
    private ScheduledFuture<?> timer;
    private List<ByteBuf> held = new ArrayList<>();
    private boolean handedOver;

    UpstreamProxy(MailLog log, String service, Duration timeout, Consumer<io.netty.channel.Channel> startSession) {
        this.log = log;
        this.service = service;
        this.timeout = timeout;
        this.startSession = startSession;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        decoder = new EmbeddedChannel(new HAProxyMessageDecoder());
        timer = ctx.executor().schedule(() -> fail(ctx, "timeout error"), timeout.toMillis(), TimeUnit.MILLISECONDS);
        // Not passed on: the session starts when the header is in.
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (handedOver) {
            if (held != null) {
                held.add((ByteBuf) msg); // the session has not asked to read yet: keep the order
            } else {
                ctx.fireChannelRead(msg);
            }
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        quote(in);
        HAProxyMessage header;
        try {
            decoder.writeInbound(in);
            Object first = decoder.readInbound();
            if (first == null) {
                return; // not all of it yet
            }
            header = (HAProxyMessage) first;
        } catch (RuntimeException e) {
            fail(ctx, reason(e));
            return;
        }
        for (Object rest; (rest = decoder.readInbound()) != null; ) {
            held.add((ByteBuf) rest);
        }
        try {
            ClientEndpoint client = client(header, ctx);
            if (client == null) {
                fail(ctx, header.protocolVersion() == HAProxyProtocolVersion.V1
                        ? "bad or missing protocol type" : "unsupported network protocol");
                return;
            }
            handOver(ctx, client);
        } finally {
            header.release();
        }
    }

    /** The client the header names; the proxy itself for LOCAL; null when Postfix refuses the header. */
    private static ClientEndpoint client(HAProxyMessage header, ChannelHandlerContext ctx) {
        if (header.command() == HAProxyCommand.LOCAL) {
            return ClientEndpoint.of(ctx.channel());
        }
        HAProxyProxiedProtocol p = header.proxiedProtocol();
        if (p != HAProxyProxiedProtocol.TCP4 && p != HAProxyProxiedProtocol.TCP6) {
            return null;
        }
        // Netty has checked that this is an address literal: no name lookup happens here.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(header.sourceAddress());
        return address == null ? null : new ClientEndpoint(new InetSocketAddress(address, header.sourcePort()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!handedOver) {
            fail(ctx, "EOF"); // the session logs connect and disconnect, as Postfix
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!handedOver) {
            fail(ctx, cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage());
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    /**
     * The session asks for input (autoRead on): what came with the header goes first, from the
     * head of the pipeline, and this handler leaves.
     */
    @Override
    public void read(ChannelHandlerContext ctx) {
        if (!handedOver) {
            ctx.read();
            return;
        }
        List<ByteBuf> bytes = held;
        held = null;
        ctx.pipeline().remove(this);
        for (ByteBuf b : bytes) {
            ctx.pipeline().fireChannelRead(b);
        }
        if (!bytes.isEmpty()) {
            ctx.pipeline().fireChannelReadComplete();
        }
        ctx.channel().read();
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        if (handedOver) {
            return;
        }
        log.warning(service, "haproxy read: " + why + (received.length() == 0 ? "" : ": " + received));
        held.forEach(ReferenceCountUtil::release);
        held.clear();
        handOver(ctx, ClientEndpoint.UNKNOWN);
    }

    private void handOver(ChannelHandlerContext ctx, ClientEndpoint client) {
        handedOver = true;
        cancelTimer();
        closeDecoder();
        ClientEndpoint.set(ctx.channel(), client);
        startSession.accept(ctx.channel());
        ctx.fireChannelActive();
        // The session may already have asked to read (and this handler left, see read()).
        if (held != null && held.isEmpty() && ctx.channel().isActive()) {
            held = null;
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancelTimer();
        if (held != null) {
            held.forEach(ReferenceCountUtil::release);
            held = null;
        }
        closeDecoder();
    }

    private void closeDecoder() {
        if (decoder != null) {
            try {
                decoder.finishAndReleaseAll();
            } catch (RuntimeException alreadyReported) {
                // the decoder's failure was logged as the haproxy read warning
            }
            decoder = null;
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Netty's reason, without its exception class name. */
    private static String reason(RuntimeException e) {
        Throwable t = e;
        while (t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Keeps the first bytes received, escaped as Postfix's escape() does, for the warning. */
    private void quote(ByteBuf in) {
        for (int i = in.readerIndex(); i < in.writerIndex() && received.length() < QUOTED_BYTES * 4; i++) {
            PostfixEscape.append(received, in.getByte(i) & 0xff);
        }
    }
}

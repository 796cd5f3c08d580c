package dev.postern.cli.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The load generator's connections, each an SMTP dialogue driven by its replies on a Netty event
 * loop: {@code concurrency} connections at a time, each followed by the next until N messages.
 *
 * <p>Why not one blocking thread per connection: the generator shares the machine with the server
 * it measures, and a thread that waits for every reply costs two wake-ups per round trip (the event
 * loop's for the write, the worker's for the reply), ~20 per message at one message per connection,
 * all charged to the machine both MTAs are measured on. On the wire nothing changes: in lock-step
 * mode each command still waits for the previous reply, as smtplib and swaks do.
 */
final class BenchDriver {
    private static final byte[] EHLO = ascii("EHLO bench.example\r\n");
    private static final byte[] STARTTLS = ascii("STARTTLS\r\n");
    private static final byte[] QUIT = ascii("QUIT\r\n");
    private static final int REPLY_TIMEOUT_SECONDS = 60;

    private final LoadGenerator.Options options;
    private final SslContext ssl;
    private final byte[] mail;
    private final byte[] rcpt;
    private final byte[] data;
    private final byte[] pipelined;
    private final byte[] body;
    private final Bootstrap bootstrap;

    private final AtomicInteger remaining;
    private final AtomicInteger errors = new AtomicInteger();
    private final AtomicReference<String> firstError = new AtomicReference<>();
    private final AtomicInteger done = new AtomicInteger();
    final AtomicInteger handshakes = new AtomicInteger();
    final AtomicInteger resumed = new AtomicInteger();
    final long[] latencies;
    /**
     * Whole sessions, from the connection's start (in the open loop: its scheduled start, so the
     * wait for a free slot counts) to the 221 after QUIT: what a user of swaks or smtplib waits for.
     */
    final long[] sessionLatencies;
    private final AtomicInteger sessionsDone = new AtomicInteger();
    private static final io.netty.util.AttributeKey<Long> STARTED = io.netty.util.AttributeKey.valueOf("bench.started");
    private final CountDownLatch slotsLeft;
    private final EventLoopGroup group;
    /** Open loop (a rate): connections still to start, open now, and starts that waited for a free slot. */
    private int startsLeft;
    private int open;
    private int waiting;
    /** Open loop: the scheduled start times of the waiting starts, oldest first. */
    private final java.util.ArrayDeque<Long> lateStarts = new java.util.ArrayDeque<>();
    private final AtomicInteger late = new AtomicInteger();
    private final CountDownLatch openLoopDone = new CountDownLatch(1);

    BenchDriver(LoadGenerator.Options o, SslContext ssl, String body, EventLoopGroup group) {
        this.options = o;
        this.ssl = ssl;
        this.mail = ascii("MAIL FROM:<" + o.from() + ">\r\n");
        this.rcpt = ascii("RCPT TO:<" + o.to() + ">\r\n");
        this.data = ascii("DATA\r\n");
        this.pipelined = ascii("MAIL FROM:<" + o.from() + ">\r\nRCPT TO:<" + o.to() + ">\r\nDATA\r\n");
        this.body = ascii(body + ".\r\n");
        this.remaining = new AtomicInteger(o.messages());
        this.latencies = new long[o.messages()];
        // Every session is full (perConnection messages) but those open when the last message was
        // taken, at most one per slot.
        this.sessionLatencies = new long[Math.min(o.messages(), o.messages() / o.perConnection() + o.concurrency())];
        this.slotsLeft = new CountDownLatch(o.concurrency());
        this.group = group;
        this.startsLeft = (o.messages() + o.perConnection() - 1) / o.perConnection();
        this.bootstrap = new Bootstrap().group(group).channel(dev.postern.protocol.NettyTransport.clientChannel())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(REPLY_TIMEOUT_SECONDS, 0, 0),
                                new LineBasedFrameDecoder(8192), new Session());
                    }
                });
    }

    /**
     * Closed loop: opens the first connection of every slot and waits until all of them have
     * finished. Open loop (a rate): starts a connection every perConnection/rate seconds, on a
     * schedule that does not drift, and waits until the last one has ended.
     */
    void runToEnd() throws InterruptedException {
        if (options.rate() > 0) {
            long interval = Math.max(1, Math.round(options.perConnection() * 1e9 / options.rate()));
            long t0 = System.nanoTime();
            group.next().execute(() -> tick(t0, interval, 0));
            openLoopDone.await();
            return;
        }
        for (int i = 0; i < options.concurrency(); i++) {
            nextConnection();
        }
        slotsLeft.await();
    }

    /** Open loop: the starts that found every connection busy and waited for one to end. */
    int late() {
        return late.get();
    }

    /** The k-th scheduled start of the open loop; schedules the next one at t0 + (k+1) * interval. */
    private void tick(long t0, long interval, long k) {
        boolean connect;
        synchronized (this) {
            if (remaining.get() <= 0) { // every message is taken (or the run gave up): no more starts
                startsLeft = 0;
            }
            if (startsLeft <= 0) {
                if (open == 0) {
                    openLoopDone.countDown();
                }
                return;
            }
            startsLeft--;
            connect = open < options.concurrency();
            if (connect) {
                open++;
            } else {
                waiting++; // started as soon as a connection ends
                lateStarts.addLast(t0 + k * interval);
                late.incrementAndGet();
            }
        }
        if (connect) {
            connect(t0 + k * interval);
        }
        long next = t0 + (k + 1) * interval - System.nanoTime();
        group.next().schedule(() -> tick(t0, interval, k + 1), Math.max(0, next), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** An open-loop connection ended: a waiting start takes its place, or the run ends with the last one. */
    private void openLoopConnectionEnded() {
        boolean connect;
        long scheduled = 0;
        synchronized (this) {
            connect = waiting > 0 && remaining.get() > 0;
            if (connect) {
                waiting--;
                scheduled = lateStarts.removeFirst();
            } else {
                waiting = 0;
                lateStarts.clear();
                open--;
                if (open == 0 && (startsLeft == 0 || remaining.get() <= 0)) {
                    startsLeft = 0;
                    openLoopDone.countDown();
                }
            }
        }
        if (connect) {
            connect(scheduled);
        }
    }

    int errors() {
        return errors.get();
    }

    /** Sessions that ended with the 221 after QUIT (each one's latency is in {@link #sessionLatencies}). */
    int sessionsDone() {
        return Math.min(sessionsDone.get(), sessionLatencies.length);
    }

    /** Messages queued by the server (each one's latency is in {@link #latencies} up to this count). */
    int done() {
        return Math.min(done.get(), latencies.length);
    }

    /** A slot's next connection, or the slot's end when no message is left or too much went wrong. */
    private void nextConnection() {
        if (errors.get() > Math.max(100, options.messages()) && remaining.getAndSet(0) > 0) {
            // the server refuses or does not answer: stop instead of spinning
            System.err.println("bench: giving up after " + errors.get() + " errors; the first: " + firstError.get());
        }
        if (options.rate() > 0) {
            openLoopConnectionEnded();
            return;
        }
        if (remaining.get() <= 0) {
            slotsLeft.countDown();
            return;
        }
        connect(System.nanoTime());
    }

    /** {@code startedAt}: when this session's clock starts (System.nanoTime). */
    private void connect(long startedAt) {
        io.netty.channel.ChannelFuture cf = bootstrap.connect(options.server());
        cf.channel().attr(STARTED).set(startedAt); // read at the 221, long after this
        cf.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                error("cannot connect to " + options.server() + ": " + f.cause().getMessage());
                // not from inside the listener: a server that refuses at once would recurse
                f.channel().eventLoop().execute(this::nextConnection);
            }
        });
    }

    /** Counts an error and keeps the first one's reason, printed once: a run that gives up must say why. */
    private void error(String reason) {
        errors.incrementAndGet();
        if (firstError.compareAndSet(null, String.valueOf(reason).replace("\n", " | "))) {
            System.err.println("bench: first error: " + firstError.get());
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final AckAtOnce ACK_AT_ONCE = new AckAtOnce();

    /**
     * From STARTTLS to the reply to the EHLO after it: acknowledges every segment at once
     * (TCP_QUICKACK after each read). This client sends that EHLO in the same flight as its TLS
     * Finished; a server that leaves Nagle on (Postfix's smtpd: vstream_tweak.c) then holds its 250
     * behind the unacknowledged TLS 1.3 session ticket it wrote just before, until this side's
     * delayed ACK fires (~40 ms on Linux). smtplib and swaks send the EHLO later and do not meet
     * the stall; without this the generator would charge it to the server's session latency.
     */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class AckAtOnce extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            dev.postern.protocol.NettyTransport.quickAck(ctx.channel());
            ctx.fireChannelRead(msg);
        }
    }

    private enum Step { GREETING, EHLO, STARTTLS, HANDSHAKE, EHLO_TLS, MAIL, RCPT, DATA, PIPELINED, BODY, QUIT, CLOSED }

    /** One connection: every reply moves it one step; each step sends at most one write. */
    private final class Session extends SimpleChannelInboundHandler<ByteBuf> {
        private Step step = Step.GREETING;
        private int messagesSent;
        private long started;
        private int pipelinedReplies;
        private String pipelinedFailure;
        /** A reply in this session was not the expected one: its time is not a whole session's. */
        private boolean failed;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            if (line.readableBytes() >= 4 && line.getByte(line.readerIndex() + 3) == '-') {
                return; // a continuation line of a multi-line reply: its last line decides
            }
            int code = code(line);
            switch (step) {
                case GREETING -> expect(ctx, line, code, 220, "greeting", () -> send(ctx, EHLO, Step.EHLO));
                case EHLO -> expect(ctx, line, code, 250, "EHLO", () -> {
                    if (ssl != null) {
                        send(ctx, STARTTLS, Step.STARTTLS);
                    } else {
                        nextMessage(ctx);
                    }
                });
                case STARTTLS -> expect(ctx, line, code, 220, "STARTTLS", () -> startTls(ctx));
                case EHLO_TLS -> expect(ctx, line, code, 250, "EHLO after STARTTLS", () -> {
                    if (ctx.pipeline().get(AckAtOnce.class) != null) {
                        ctx.pipeline().remove(AckAtOnce.class);
                    }
                    nextMessage(ctx);
                });
                case MAIL -> inMessage(ctx, line, code, 250, "MAIL", () -> send(ctx, rcpt, Step.RCPT));
                case RCPT -> inMessage(ctx, line, code, 250, "RCPT", () -> send(ctx, data, Step.DATA));
                case DATA -> inMessage(ctx, line, code, 354, "DATA", () -> send(ctx, body, Step.BODY));
                case PIPELINED -> {
                    int expected = ++pipelinedReplies == 3 ? 354 : 250;
                    if (code != expected && pipelinedFailure == null) {
                        String[] names = {"MAIL", "RCPT", "DATA"};
                        pipelinedFailure = names[pipelinedReplies - 1] + " (pipelined) -> " + text(line);
                    }
                    if (pipelinedReplies == 3) {
                        if (pipelinedFailure == null) {
                            send(ctx, body, Step.BODY);
                        } else {
                            error(pipelinedFailure);
                            failed = true;
                            send(ctx, QUIT, Step.QUIT);
                        }
                    }
                }
                case BODY -> inMessage(ctx, line, code, 250, "end of DATA", () -> {
                    int n = done.getAndIncrement();
                    if (n < latencies.length) {
                        latencies[n] = System.nanoTime() - started;
                    }
                    nextMessage(ctx);
                });
                case QUIT -> {
                    // As smtplib's quit(): wait for the 221. Closing right after sending QUIT made the
                    // server's 221 hit a closed socket (EPIPE: an exception per connection there).
                    if (code == 221 && !failed && messagesSent > 0) { // not the empty last ones of a closed loop
                        Long t = ctx.channel().attr(STARTED).get();
                        int n = t == null ? Integer.MAX_VALUE : sessionsDone.getAndIncrement();
                        if (n < sessionLatencies.length) {
                            sessionLatencies[n] = System.nanoTime() - t;
                        }
                    }
                    step = Step.CLOSED;
                    ctx.close();
                }
                default -> { } // HANDSHAKE: the server says nothing until the handshake is over
            }
        }

        /** Before any message: a wrong reply ends the connection (as the blocking generator's {@code continue}). */
        private void expect(ChannelHandlerContext ctx, ByteBuf line, int code, int expected, String what, Runnable next) {
            if (code == expected) {
                next.run();
            } else {
                error(what + " -> " + text(line));
                step = Step.CLOSED;
                ctx.close();
            }
        }

        /** Within a message: a wrong reply counts as an error, and the connection QUITs. */
        private void inMessage(ChannelHandlerContext ctx, ByteBuf line, int code, int expected, String what, Runnable next) {
            if (code == expected) {
                next.run();
            } else {
                error(what + " -> " + text(line));
                failed = true;
                send(ctx, QUIT, Step.QUIT);
            }
        }

        private void startTls(ChannelHandlerContext ctx) {
            step = Step.HANDSHAKE;
            SslHandler tls = ssl.newHandler(ctx.alloc(), options.server().getHostString(), options.server().getPort());
            ctx.pipeline().addFirst(tls);
            if (ctx.channel() instanceof EpollSocketChannel) {
                ctx.pipeline().addFirst(ACK_AT_ONCE);
            }
            tls.handshakeFuture().addListener(f -> {
                if (!f.isSuccess()) {
                    error("TLS handshake failed: " + f.cause().getMessage());
                    step = Step.CLOSED;
                    ctx.close();
                    return;
                }
                handshakes.incrementAndGet();
                if (dev.postern.tls.TlsServer.resumed(tls.engine())) {
                    resumed.incrementAndGet();
                }
                send(ctx, EHLO, Step.EHLO_TLS);
            });
        }

        private void nextMessage(ChannelHandlerContext ctx) {
            if (messagesSent >= options.perConnection() || remaining.getAndDecrement() <= 0) {
                send(ctx, QUIT, Step.QUIT);
                return;
            }
            messagesSent++;
            started = System.nanoTime();
            if (options.pipelining()) {
                pipelinedReplies = 0;
                pipelinedFailure = null;
                send(ctx, pipelined, Step.PIPELINED); // RFC 2920: MAIL, RCPT and DATA in one write
            } else {
                send(ctx, mail, Step.MAIL);
            }
        }

        private void send(ChannelHandlerContext ctx, byte[] bytes, Step then) {
            step = then;
            ctx.writeAndFlush(Unpooled.wrappedBuffer(bytes));
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && step != Step.CLOSED) {
                error("no reply within " + REPLY_TIMEOUT_SECONDS + " s (" + step + ")");
                step = Step.CLOSED;
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (step != Step.CLOSED && step != Step.HANDSHAKE) { // a failed handshake is reported by its future
                error(step + ": " + cause.getMessage());
                step = Step.CLOSED;
            }
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (step != Step.CLOSED && step != Step.QUIT && step != Step.HANDSHAKE) {
                error("(connection closed) in " + step);
            }
            step = Step.CLOSED;
            nextConnection();
        }

        private int code(ByteBuf line) {
            if (line.readableBytes() < 3) {
                return 0;
            }
            int i = line.readerIndex();
            int c = 0;
            for (int k = 0; k < 3; k++) {
                int d = line.getByte(i + k) - '0';
                if (d < 0 || d > 9) {
                    return 0;
                }
                c = c * 10 + d;
            }
            return c;
        }

        private String text(ByteBuf line) {
            return line.toString(StandardCharsets.UTF_8).replace("\r", "");
        }
    }
}

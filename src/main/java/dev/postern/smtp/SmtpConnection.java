package dev.postern.smtp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;

/**
 * One SMTP client connection, used by one delivery worker at a time: send a command, wait for the
 * reply with a timeout. The worker does the socket I/O itself, on a blocking socket, as Postfix's
 * smtp process does: it waits for every reply anyway, and a Netty event loop between it and the
 * socket cost two thread hand-offs per reply (the loop woken to write, the worker woken by the
 * loop when the reply came: BENCHMARKS.md, issue 12). The protocol side is still Netty's: the
 * bytes go through a pipeline ({@link EmbeddedChannel}, driven by this thread) of the TLS handler
 * (after STARTTLS) and {@link ReplyDecoder}, so replies are framed and bounded as before: reply
 * lines of at most 2048 bytes, at most 1000 lines or 1 MiB per reply; past that the connection is
 * closed and the reply fails with "response longer than ...".
 */
final class SmtpConnection implements AutoCloseable {
    private static final Object CLOSED = new Object();
    /** The message of the IOException for a reply or a write that timed out (smtp_stream.c's SMTP_ERR_TIME). */
    static final String TIMED_OUT = "conversation timed out";
    private static final int READ_BUFFER = 16 * 1024;

    private final long opened = System.nanoTime();
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    /** The protocol pipeline: [tls,] lines, replies. Touched only by the thread using the connection. */
    private final EmbeddedChannel pipe;
    private final ArrayDeque<Object> lines = new ArrayDeque<>();
    private final byte[] readBuffer = new byte[READ_BUFFER];
    private ReplyDecoder decoder;
    private boolean closed;
    private boolean released;
    private Consumer<String> warnings = w -> { };
    /** smtp_data_xfer_timeout, in nanoseconds: how long one write may make no progress. */
    private final long writeLimitNanos;
    /**
     * System.nanoTime() (made odd) when the write slice in progress started; 0 when none is;
     * {@link #EXPIRED} once the watchdog ended a stalled one. Compare-and-set on both sides, so the
     * watchdog only ever expires the very write it saw stalled, never the next one.
     */
    private final java.util.concurrent.atomic.AtomicLong writeStarted = new java.util.concurrent.atomic.AtomicLong();
    private static final long EXPIRED = Long.MIN_VALUE; // even: no stamp equals it
    /** Linux's TCP_QUICKACK, when this JDK can set it on a socket (jdk.net): checked by SmtpConnectionTest on Linux. */
    private static final boolean QUICKACK = quickAckSupported();
    /**
     * From the end of the TLS handshake to the next reply (the EHLO's): every read is acknowledged
     * at once. A server that leaves Nagle on (Postfix's smtpd: vstream_tweak.c) writes its TLS 1.3
     * session ticket after our Finished and then holds the reply to our EHLO until the ticket's ACK
     * arrives; when our EHLO left before the ticket came, that ACK waits for our delayed-ACK timer
     * (~40 ms on Linux). Seen in tcpdump against Postfix 3.7 (BENCHMARKS.md, 2026-12-04).
     */
    private boolean ackAtOnce;
    /** Bytes per stamped write: a stalled write is one that moved none of these in smtp_data_xfer_timeout. */
    private static final int WRITE_SLICE = 8 * 1024;

    private SmtpConnection(Socket socket, Duration writeLimit) throws IOException {
        this.socket = socket;
        this.writeLimitNanos = writeLimit.toNanos();
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.decoder = new ReplyDecoder(lines::size);
        this.pipe = new EmbeddedChannel(decoder, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                lines.add(msg); // a ReplyDecoder.Line or Limit
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                lines.add(CLOSED);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // a failed handshake or a bad record: the connection is over
            }
        });
    }

    static boolean quickAckSupported() {
        try (Socket s = new Socket()) {
            return s.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** System.nanoTime() when the connection was made (smtp_connection_reuse_time_limit). */
    long opened() {
        return opened;
    }

    /** @param writeLimit smtp_data_xfer_timeout: the longest a write may make no progress */
    static SmtpConnection connect(InetSocketAddress address, Duration timeout, Duration writeLimit) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(address, (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            SmtpConnection c = new SmtpConnection(s, writeLimit);
            WriteWatchdog.watch(c);
            return c;
        } catch (SocketTimeoutException e) {
            s.close();
            throw new IOException("Connection timed out");
        } catch (ConnectException e) {
            s.close();
            String msg = e.getMessage();
            throw new IOException(msg != null && msg.contains("Connection refused") ? "Connection refused"
                    : msg == null ? "failed" : msg);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    ServerReply reply(Duration timeout) throws IOException {
        List<String> got = null; // only multi-line replies need a list
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object o = lines.poll();
            if (o == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException(TIMED_OUT);
                }
                receive(left);
                continue;
            }
            if (o == CLOSED) {
                lines.add(CLOSED);
                throw new IOException(writeTimedOut() ? TIMED_OUT : "lost connection");
            }
            if (o instanceof ReplyDecoder.Limit limit) {
                lines.add(limit); // the connection is closed: later calls fail the same way
                throw new IOException(limit.text());
            }
            ReplyDecoder.Line framed = (ReplyDecoder.Line) o;
            String line = framed.text();
            if (framed.truncated()) {
                warnings.accept("response longer than " + ReplyDecoder.LINE_LIMIT + ": "
                        + printable(line.substring(0, Math.min(30, line.length()))) + "...");
            }
            boolean last = line.length() < 4 || line.charAt(3) != '-';
            if (last) {
                ackAtOnce = false;
            }
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

    /**
     * Reads once from the socket, waiting at most {@code nanos}, and runs what came through the
     * pipeline (which may answer, e.g. a TLS handshake message: written at once). End of stream or
     * a read error closes the connection; a timeout only returns.
     */
    private void receive(long nanos) {
        if (closed) {
            if (!lines.contains(CLOSED)) {
                lines.add(CLOSED);
            }
            return;
        }
        int n;
        try {
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, (nanos + 999_999) / 1_000_000)));
            n = in.read(readBuffer);
        } catch (SocketTimeoutException e) {
            return;
        } catch (IOException e) {
            n = -1;
        }
        if (n < 0) {
            close();
            return;
        }
        if (ackAtOnce) {
            try {
                socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true); // sends the pending ACK now
            } catch (IOException | UnsupportedOperationException e) {
                ackAtOnce = false; // an optimisation only
            }
        }
        ByteBuf b = pipe.alloc().heapBuffer(n);
        b.writeBytes(readBuffer, 0, n);
        try {
            pipe.writeInbound(b);
        } catch (Exception e) { // EmbeddedChannel rethrows what no handler took: the connection is over
            pipe.close();
        }
        transmit();
        if (!pipe.isOpen()) {
            close(); // the decoder hit a limit, or TLS failed
        }
    }

    /** Writes what the pipeline produced to the socket; a failed write closes the connection. */
    private void transmit() {
        Object o;
        while ((o = pipe.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) o;
            try {
                // In slices, each stamped: smtp_data_xfer_timeout is a limit on a write that makes no
                // progress (Postfix: per write), not on a whole buffer over a slow link.
                for (int i = b.readerIndex(), end = b.writerIndex(); i < end && !closed; i += WRITE_SLICE) {
                    long stamp = System.nanoTime() | 1; // odd: never 0 ("no write") nor EXPIRED
                    if (!writeStarted.compareAndSet(0, stamp)) {
                        throw new IOException(TIMED_OUT); // the watchdog expired the connection
                    }
                    try {
                        b.getBytes(i, out, Math.min(WRITE_SLICE, end - i));
                    } finally {
                        writeStarted.compareAndSet(stamp, 0); // stays EXPIRED if the watchdog got there first
                    }
                }
            } catch (IOException e) {
                closed = true; // reply() reports a lost connection, or the time-out
                pipe.close();
            } finally {
                ReferenceCountUtil.release(b);
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
     * Sends commands in one write. A failed write is not reported here: it closes the connection,
     * which {@link #reply} reports as a lost connection (the caller waits for a reply anyway).
     */
    void send(CharSequence text) {
        ByteBuf b = pipe.alloc().buffer(text.length() + 16);
        b.writeCharSequence(text, StandardCharsets.UTF_8);
        writeLast(b);
    }

    /** Writes {@code data} to the socket (it returns once the kernel has taken the bytes). */
    void write(ByteBuf data) throws IOException {
        writeLast(data);
        if (closed) {
            throw new IOException(writeTimedOut() ? TIMED_OUT : "lost connection: write failed");
        }
    }

    /**
     * Called by {@link WriteWatchdog}: closes the socket under a write that has made no progress for
     * longer than smtp_data_xfer_timeout, which ends that write with an exception.
     */
    void expireStalledWrite(long now) {
        long started = writeStarted.get();
        if (started != 0 && started != EXPIRED && now - started > writeLimitNanos
                && writeStarted.compareAndSet(started, EXPIRED)) {
            try {
                socket.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    /** True when the watchdog ended a write that made no progress for smtp_data_xfer_timeout. */
    boolean writeTimedOut() {
        return writeStarted.get() == EXPIRED; // for good: no write starts after it
    }

    /**
     * smtp_stream_except()'s subject for a failed exchange: "conversation with PEER timed out" or
     * "lost connection with PEER" (the caller adds " while ...").
     */
    static String trouble(IOException e, String peer) {
        return TIMED_OUT.equals(e.getMessage()) ? "conversation with " + peer + " timed out" : "lost connection with " + peer;
    }

    /** The last write before a reply is awaited: like {@link #send}, a failure shows in the reply. */
    void writeLast(ByteBuf data) {
        if (closed || !pipe.isOpen()) {
            data.release();
            closed = true;
            return;
        }
        try {
            pipe.writeOutbound(data);
        } catch (Exception e) { // e.g. the TLS engine refused a write after the peer's close_notify
            closed = true;
            pipe.close();
        }
        transmit();
    }

    ByteBuf buffer(int capacity) {
        return pipe.alloc().buffer(capacity);
    }

    /** True when the connection is open and the server sent nothing unasked, so it can take a new transaction. */
    boolean idle() {
        return !closed && lines.isEmpty() && !hasUnreadInput();
    }

    /** True when the server sent anything beyond the last reply read (response injection after STARTTLS). */
    boolean hasUnreadInput() {
        if (!lines.isEmpty() || decoder.pending() > 0) {
            return true;
        }
        try {
            return in.available() > 0; // bytes in the socket not read yet
        } catch (IOException e) {
            return true; // cannot tell: treat as injected input, which fails safe (no TLS, no mail)
        }
    }

    /**
     * Starts TLS and waits for the handshake (the worker reads and writes the handshake's records
     * itself); the old line decoder, and anything it held, is replaced.
     */
    SslHandler startTls(SslHandler ssl, Duration timeout) throws IOException {
        ReplyDecoder fresh = new ReplyDecoder(lines::size);
        pipe.pipeline().replace(decoder, "lines", fresh);
        decoder = fresh;
        long deadline = System.nanoTime() + timeout.toNanos();
        ssl.setHandshakeTimeoutMillis(0); // the deadline below is the timeout: nothing runs the pipe's timers
        pipe.pipeline().addFirst("tls", ssl); // the client sends its hello at once
        transmit();
        while (!ssl.handshakeFuture().isDone()) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || closed) {
                close();
                throw new IOException(closed && left > 0 ? "handshake failure: lost connection" : "handshake failure: timed out");
            }
            receive(left);
        }
        if (!ssl.handshakeFuture().isSuccess()) {
            Throwable c = ssl.handshakeFuture().cause();
            close();
            throw new IOException("handshake failure" + (c == null ? "" : ": " + c.getMessage()));
        }
        ackAtOnce = QUICKACK;
        return ssl;
    }

    /** True once STARTTLS has put TLS in the pipeline (SASL security options differ with TLS). */
    boolean encrypted() {
        return pipe.pipeline().get(SslHandler.class) != null;
    }

    InetSocketAddress remote() {
        return (InetSocketAddress) socket.getRemoteSocketAddress();
    }

    /** Closes the connection (after TLS's close_notify, when TLS is on and the socket still takes it). */
    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        if (pipe.isOpen()) {
            pipe.close(); // the TLS handler writes its close_notify; the engine is freed
        }
        transmit();
        closed = true;
        WriteWatchdog.forget(this);
        try {
            socket.close();
        } catch (IOException ignored) {
            // closed anyway
        }
        pipe.finishAndReleaseAll();
    }
}

package dev.postern.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * smtpd_timeout, in either of Postfix's two modes (smtp_stream.c smtp_stream_setup(), vstream.c
 * deadlines), firing {@link IdleStateEvent#READER_IDLE_STATE_EVENT} when it expires:
 * <ul>
 * <li>{@code perRequest=false} (smtpd_per_request_deadline=no, Postfix's normal default): a time
 *     limit per read, so every byte that arrives starts the timeout again (as an IdleStateHandler);</li>
 * <li>{@code perRequest=true} (Postfix 3.7+): a deadline for receiving a complete request. The
 *     session calls {@link #startRequest()} when it starts waiting for the next command (after each
 *     reply) and {@link #startData()} after 354; bytes that arrive do not extend the deadline of a
 *     command line, so a client trickling one byte at a time (slowloris) is cut off after
 *     smtpd_timeout. During DATA, each read of N bytes extends the deadline by N/minDataRate
 *     seconds, never beyond smtpd_timeout from now (smtpd_min_data_rate; 0 = no extension).</li>
 * </ul>
 * Time when the session does not read (input paused while it commits a message or sleeps after
 * errors) is not counted: Postfix's deadline "limits only the time spent waiting for plaintext or
 * TLS read or write calls" — except when input is paused because the replies cannot be written
 * (the client reads nothing), which is a wait for the client. Sits after the TLS handler, so it counts plaintext bytes.
 */
public final class RequestDeadline extends ChannelInboundHandlerAdapter {
    /** Sent down a session's pipeline when its service comes under stress: the timer is re-armed. */
    public static final Object STRESS = new Object() {
        @Override
        public String toString() {
            return "STRESS";
        }
    };

    private final long timeoutNanos;
    private final boolean perRequest;
    private final long minDataRate;
    private final long stressTimeoutNanos;
    private final boolean stressPerRequest;
    private final BooleanSupplier stressed;

    private ChannelHandlerContext ctx;
    private long deadline;
    private boolean data;
    private boolean fired;
    private ScheduledFuture<?> timer;

    public RequestDeadline(long timeoutMillis, boolean perRequest, long minDataRate) {
        this(timeoutMillis, perRequest, minDataRate, timeoutMillis, perRequest, () -> false);
    }

    /**
     * With Postfix's stress: while {@code stressed} says so, a wait ends after {@code
     * stressTimeoutMillis} (smtpd_timeout's stress value) instead, counted from when it began, so
     * clients already idle for longer are cut as soon as stress begins (Postfix applies the stress
     * value only to processes started under stress; in one process, every session can follow it).
     * {@code stressPerRequest}: smtpd_per_request_deadline's value under stress (a client trickling
     * bytes keeps a per-read timer alive for ever, and under stress its place is wanted).
     */
    public RequestDeadline(long timeoutMillis, boolean perRequest, long minDataRate, long stressTimeoutMillis,
                           boolean stressPerRequest, BooleanSupplier stressed) {
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.perRequest = perRequest;
        this.stressPerRequest = stressPerRequest;
        this.minDataRate = minDataRate;
        this.stressTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(Math.min(stressTimeoutMillis, timeoutMillis));
        this.stressed = stressed;
    }

    /** smtpd_per_request_deadline now: its stress value while the service is under stress. */
    private boolean perRequest() {
        return perRequest || (stressPerRequest && stressed.getAsBoolean());
    }

    /** The service is under stress now. */
    public boolean stressed() {
        return stressed.getAsBoolean();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == STRESS) {
            schedule();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The deadline in force: under stress, the stress timeout from when this wait began. */
    private long effectiveDeadline() {
        if (stressTimeoutNanos < timeoutNanos && stressed.getAsBoolean()) {
            long stressDeadline = deadline - timeoutNanos + stressTimeoutNanos;
            return stressDeadline - deadline < 0 ? stressDeadline : deadline;
        }
        return deadline;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            arm(System.nanoTime() + timeoutNanos);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        arm(System.nanoTime() + timeoutNanos);
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        long now = System.nanoTime();
        if (!perRequest()) {
            deadline = now + timeoutNanos;
        } else if (data && minDataRate > 0) {
            long n = msg instanceof ByteBuf b ? b.readableBytes()
                    : msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
            long extended = deadline + n * 1_000_000_000L / minDataRate;
            deadline = Math.min(now + timeoutNanos, extended);
        }
        ctx.fireChannelRead(msg);
    }

    /** The session starts waiting for a new command: a full smtpd_timeout from now. */
    public void startRequest() {
        data = false;
        if (perRequest()) {
            deadline = System.nanoTime() + timeoutNanos;
        }
    }

    /** The session sent 354 and now reads message content. */
    public void startData() {
        data = true;
        deadline = System.nanoTime() + timeoutNanos;
    }

    private void arm(long at) {
        deadline = at;
        schedule();
    }

    private void schedule() {
        cancel();
        if (fired || ctx == null) {
            return;
        }
        long delay = Math.max(0, effectiveDeadline() - System.nanoTime());
        timer = ctx.executor().schedule(this::check, delay, TimeUnit.NANOSECONDS);
    }

    private void check() {
        timer = null;
        if (fired || !ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (!ctx.channel().config().isAutoRead() && ctx.channel().isWritable()) {
            // Not waiting for the client: the session is busy. Give the client a full timeout
            // once it is asked for input again (Postfix counts only time spent waiting in I/O).
            // Input paused because the client does not read its replies IS waiting for the client
            // (Postfix's write() would be blocked): that time counts.
            deadline = now + timeoutNanos;
        } else if (now - effectiveDeadline() >= 0) {
            fired = true;
            ctx.fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
            return;
        }
        schedule();
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}

package dev.postern.smtpd;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;

/**
 * Replies written while the session handles one batch of input (the commands of one read, or one
 * asynchronous step such as a queue commit and the pipelined commands it released) are flushed
 * together at the batch's end: one TLS record and one write for a pipelined MAIL, RCPT, DATA
 * instead of three. Postfix's smtpd does the same (it flushes its output when its input buffer is
 * empty); RFC 2920 §3.2 forbids waiting for more input before replying, and the flush happens
 * as soon as the input at hand is handled. Outside a batch, a reply is flushed at once.
 * Event-loop confined, like the session.
 */
final class ReplyBatch {
    private boolean open;
    private boolean unflushed;
    private final Runnable safetyFlush;
    private ChannelHandlerContext ctx;

    ReplyBatch() {
        // In case a read is ever not followed by channelReadComplete: runs after this loop turn's I/O.
        this.safetyFlush = () -> flush(ctx);
    }

    /** A batch starts (a read): replies wait for {@link #flush}. */
    void begin(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        open = true;
    }

    void write(ChannelHandlerContext ctx, ByteBuf reply) {
        ctx.write(reply);
        if (!open) {
            ctx.flush();
        } else if (!unflushed) {
            unflushed = true;
            this.ctx = ctx;
            ctx.executor().execute(safetyFlush);
        }
    }

    /** Ends the batch: everything written in it leaves in one flush. */
    void flush(ChannelHandlerContext ctx) {
        open = false;
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
    }

    /** Runs {@code step} as one batch (an asynchronous step's replies and those of the input it releases). */
    void batch(ChannelHandlerContext ctx, Runnable step) {
        if (open) {
            step.run(); // inside a batch already: its end flushes
            return;
        }
        begin(ctx);
        try {
            step.run();
        } finally {
            flush(ctx);
        }
    }
}

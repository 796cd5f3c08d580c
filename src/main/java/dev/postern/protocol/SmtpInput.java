package dev.postern.protocol;

import io.netty.buffer.ByteBuf;

/** What {@link SmtpInputDecoder} hands to the session: command lines and DATA content. */
public sealed interface SmtpInput {

    /**
     * One command line without its line ending. {@code pipelinedAfter} is true when more client
     * bytes were already waiting behind this line (RFC 2920 synchronization checks, STARTTLS).
     * {@code bareLf} marks a line ended by LF alone.
     */
    record Command(String line, boolean pipelinedAfter, boolean bareLf) implements SmtpInput {
    }

    /** A command line longer than the limit; its bytes were skipped up to the next LF. */
    record TooLong() implements SmtpInput {
    }

    /**
     * Unstuffed message content with CRLF line endings; the receiver must release it.
     * {@code bareNewline} is true when a line in it ended with a bare LF or CR.
     */
    record Content(ByteBuf bytes, boolean bareNewline) implements SmtpInput {
    }

    /** The CRLF.CRLF terminator was seen; the decoder is back in command mode. */
    record EndOfData() implements SmtpInput {
    }
}

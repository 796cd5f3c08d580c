package dev.postern.protocol;

import io.netty.buffer.ByteBuf;

/** What {@link SmtpInputDecoder} hands to the session: command lines and DATA content. */
public sealed interface SmtpInput {

    /**
     * One command line without its line ending. {@code pipelinedAfter} is true when more client
     * bytes were already waiting behind this line (RFC 2920 synchronization checks, STARTTLS).
     * {@code bareLf} marks a line ended by LF alone. {@code validUtf8} is false when the line's
     * bytes are not well-formed UTF-8 (the line then holds replacement characters). {@code following}
     * is the start of what was waiting behind the line (at most {@link SmtpInputDecoder#FOLLOWING}
     * bytes, as ISO-8859-1 text; empty when nothing was), for Postfix's "improper command pipelining"
     * log line.
     */
    record Command(String line, boolean pipelinedAfter, boolean bareLf, boolean validUtf8, String following)
            implements SmtpInput {
        public Command(String line, boolean pipelinedAfter, boolean bareLf) {
            this(line, pipelinedAfter, bareLf, true, "");
        }
    }

    /**
     * A command line longer than the limit; its bytes were skipped up to the next LF.
     * {@code start} is its first bytes (at most {@link SmtpInputDecoder#TOO_LONG_PREFIX}, as
     * ISO-8859-1 text) for the log, as Postfix's "request longer than" warning shows them.
     * {@code inputDisabled}: the line went on for twice the limit, and the decoder now discards
     * all input (Postfix's smtp_get(): "disabling input from ...", then shutdown(SHUT_RD)).
     */
    record TooLong(String start, boolean inputDisabled) implements SmtpInput {
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

package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.CompletableFuture;

/**
 * One message entering the queue (maddy's Delivery shape): nothing is visible to the queue
 * manager until {@link #commit()} completes. {@link #write} may be called on a Netty event loop and
 * never blocks: bytes are handed to a spool writer. The content is the message exactly as received
 * after dot-unstuffing, CRLF line endings, starting with smtpd's Received header.
 */
public interface CleanupTransaction {
    QueueId queueId();

    void addRecipient(MailAddress recipient);

    /** A recipient with its RFC 3461 NOTIFY/ORCPT, kept in the queue file. */
    void addRecipient(MailAddress recipient, RecipientDsn dsn);

    /** Takes ownership of {@code chunk} (releases it). */
    void write(ByteBuf chunk);

    /**
     * Completes when the queue file and its directory entry are fsync'd (the 250 may go out then),
     * or exceptionally with an {@link dev.postern.mail.SmtpException} carrying the reply
     * (e.g. 552 5.3.4 message too big, 451 4.3.0 local error).
     */
    CompletableFuture<Void> commit();

    /** Discards everything written; safe to call at any time, also after a failed commit. */
    void abort();
}

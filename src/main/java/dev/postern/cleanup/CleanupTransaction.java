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

    /**
     * As above, with what it first came in as (a requeued message's recipient that rewriting had
     * changed, or what sendmail was given for a local submission, e.g. {@code root}: Postfix's
     * ORCP record, kept through rewriting and requeues and logged as {@code orig_to=}).
     */
    void addRecipient(MailAddress recipient, RecipientDsn dsn, String original);

    /*
     * Access-table actions on the whole message (Postfix: smtpd's CLEANUP_FLAG_HOLD and
     * CLEANUP_FLAG_DISCARD flags, REC_TYPE_RDR record and extra REC_TYPE_RCPT records), called
     * before the first write. A message that takes none pays nothing for them.
     */

    /** Commit into hold/ instead of incoming/ (access(5) HOLD): acknowledged, durable, not delivered until released. */
    void hold();

    /**
     * Keep nothing (access(5) DISCARD; wins over hold): the content is read and dropped, and commit
     * logs {@code QUEUEID: removed (discarded)} (Postfix 3.10 cleanup) and succeeds.
     */
    void discard();

    /**
     * Every recipient, BCC ones too, replaced by {@code to} (access(5) REDIRECT; the last call wins),
     * as Postfix's qmgr does it: the redirected recipient keeps the NOTIFY of the recipient that
     * qmgr sorts first (by domain, then address) and its ORCPT, or {@code rfc822;} that recipient
     * when the client gave none (Postfix's orig_rcpt).
     */
    void redirect(MailAddress to);

    /** One more recipient with NOTIFY=NEVER (access(5) BCC); none when it already is one. */
    void addBcc(MailAddress to);

    /**
     * Deliver every recipient through this content filter, {@code transport:nexthop} (Postfix's
     * FILTER record: smtpd's or pickup's content_filter, then an access(5) FILTER action; the last
     * call wins; a blank one clears it). Kept in the queue file for the queue manager. A {@link #redirect} overrides it, as
     * in Postfix ("this action overrides the FILTER action", access(5)): a redirected message's
     * queue file has no filter.
     */
    void filter(String transportAndNexthop);

    /**
     * No header_checks, mime_header_checks, nested_header_checks or body_checks for this message:
     * receive_override_options = no_header_body_checks, and the notices Postern makes itself (Postfix
     * gives its internal mail no CLEANUP_FLAG_FILTER). Called before the first write.
     */
    void skipHeaderBodyChecks();

    /**
     * No canonical_maps, masquerade_domains or virtual_alias_maps for this message:
     * receive_override_options = no_address_mappings (a content filter's sending side, so the
     * mapping happens once, when the filtered mail comes back). Called before the first write.
     */
    void skipAddressMappings();

    /**
     * The client is not in local_header_rewrite_clients (Postfix's "remote" rewrite context): its
     * header addresses are completed and mapped only when remote_header_rewrite_domain is set.
     * Without this call (local submissions, Postern's notices, local clients) they always are.
     */
    void remoteHeaderRewrite();

    /** Takes ownership of {@code chunk} (releases it). */
    void write(ByteBuf chunk);

    /**
     * Content held in memory past this many bytes (written, not yet in the queue file) makes
     * {@link #writable()} ask the writer to stop reading its client.
     */
    int BACKLOG_LIMIT = 1024 * 1024;

    /** Bytes written but not yet in the queue file: what this message holds in memory. */
    long queuedBytes();

    /**
     * Back-pressure for the writer (smtpd stops reading while it waits): a completed future while at
     * most {@link #BACKLOG_LIMIT} bytes are queued; otherwise one that completes once the spool
     * writer has caught up to half of it (also when the transaction is aborted or fails).
     */
    CompletableFuture<Void> writable();

    /**
     * Completes when the queue file and its directory entry are fsync'd (the 250 may go out then),
     * or exceptionally with an {@link dev.postern.mail.SmtpException} carrying the reply
     * (e.g. 552 5.3.4 message too big, 451 4.3.0 local error).
     */
    CompletableFuture<Void> commit();

    /** Discards everything written; safe to call at any time, also after a failed commit. */
    void abort();
}

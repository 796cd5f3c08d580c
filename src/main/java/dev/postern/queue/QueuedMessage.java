package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * A queue file as read: where it is, its envelope (recipients: only those still to deliver), its
 * content, and the per-recipient records appended since it was written (recipients done, last
 * deferral reasons). {@code version} 1 is the first release's format; {@code recordsStart} is
 * where the appended records begin (the file length for version 1), {@code length} the file
 * length when read.
 */
public record QueuedMessage(Path file, QueueEnvelope envelope, MessageContent content, int version,
                            QueueRecords.State records, long recordsStart, long length) {

    /** A message with no appended records (tests, callers that build one by hand). */
    public QueuedMessage(Path file, QueueEnvelope envelope, MessageContent content) {
        this(file, envelope, content, 2, QueueRecords.State.empty(), 0, 0);
    }

    /** Recipients already handled (delivered, bounced): never to be tried again. */
    public Set<String> done() {
        return records.done();
    }

    /** The last deferral reason of a recipient still to deliver, or null. */
    public String lastReason(MailAddress recipient) {
        return records.reasons().get(recipient.toString());
    }

    /** When that reason was recorded, or null. */
    public Instant lastReasonTime(MailAddress recipient) {
        return records.reasonTimes().get(recipient.toString());
    }

    /** When the sender was sent a delay notice for this message; null when never. */
    public Instant delayNoticeSent() {
        return records.delayNotice();
    }

    /**
     * An operator requeued the message ({@code postern queue requeue}) and the queue manager has
     * not applied it yet (a record written by an older version's tool): the queue manager sends
     * it to maildrop/ ({@link Spool#requeue}).
     */
    public boolean requeued() {
        return records.requeued() != null;
    }

    /** Every recorded reason by recipient (as text), recipients done included. */
    public Map<String, String> reasons() {
        return records.reasons();
    }
}

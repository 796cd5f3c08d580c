package dev.postern.bounce;

import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;

import java.time.Instant;
import java.util.List;

/**
 * One message's notice: its queue ID, envelope sender, arrival, the recipients it is about, the
 * original content, and what to return of it. {@code ret} is RFC 3461's RET (FULL by default, as
 * Postfix); {@code envelopeId} its ENVID (null when none): both come with the DSN SMTP extension.
 */
public record Report(QueueId queueId, ReversePath sender, Instant arrival, List<RecipientStatus> recipients,
                     MessageContent original, Return ret, String envelopeId) {
    /** RFC 3461 RET: the full message or its headers only. */
    public enum Return { FULL, HDRS }

    public Report {
        recipients = List.copyOf(recipients);
    }

    public static Report of(QueueId queueId, ReversePath sender, Instant arrival, List<RecipientStatus> recipients,
                            MessageContent original) {
        return new Report(queueId, sender, arrival, recipients, original, Return.FULL, null);
    }
}

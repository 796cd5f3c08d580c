package dev.postern.mail;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One delivery attempt handed to a {@link DeliveryAgent}: recipients that share a transport,
 * next hop and sender. {@code nexthop} is the Postfix form ({@code [host]:port}, {@code domain}).
 * {@code dsn} and {@code recipientDsn} are the client's RFC 3461 parameters (RET/ENVID, and
 * NOTIFY/ORCPT per recipient; a recipient missing from the map gave none), passed on to a next hop
 * that offers DSN.
 */
public record DeliveryRequest(QueueId queueId, ReversePath sender, List<MailAddress> recipients,
                              String transport, String nexthop, MessageContent content, Instant arrival,
                              boolean eightBitMime, boolean smtpUtf8, Dsn dsn,
                              Map<MailAddress, RecipientDsn> recipientDsn) {
    public DeliveryRequest {
        recipients = List.copyOf(recipients);
        dsn = dsn == null ? Dsn.NONE : dsn;
        recipientDsn = recipientDsn == null ? Map.of() : Map.copyOf(recipientDsn);
    }

    /** Without DSN parameters. */
    public DeliveryRequest(QueueId queueId, ReversePath sender, List<MailAddress> recipients, String transport,
                           String nexthop, MessageContent content, Instant arrival, boolean eightBitMime,
                           boolean smtpUtf8) {
        this(queueId, sender, recipients, transport, nexthop, content, arrival, eightBitMime, smtpUtf8, Dsn.NONE,
                Map.of());
    }

    /** The recipient's NOTIFY/ORCPT, {@link RecipientDsn#NONE} when it gave none. */
    public RecipientDsn dsnOf(MailAddress recipient) {
        return recipientDsn.getOrDefault(recipient, RecipientDsn.NONE);
    }
}

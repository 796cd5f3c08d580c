package dev.postern.mail;

import java.time.Instant;
import java.util.List;

/**
 * One delivery attempt handed to a {@link DeliveryAgent}: recipients that share a transport,
 * next hop and sender. {@code nexthop} is the Postfix form ({@code [host]:port}, {@code domain}).
 */
public record DeliveryRequest(QueueId queueId, ReversePath sender, List<MailAddress> recipients,
                              String transport, String nexthop, MessageContent content, Instant arrival,
                              boolean eightBitMime, boolean smtpUtf8) {
    public DeliveryRequest {
        recipients = List.copyOf(recipients);
    }
}

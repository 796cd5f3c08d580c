package dev.postern.server;

import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.RecipientResult;
import dev.postern.smtp.SmtpDeliveryAgent;

import java.util.List;

/**
 * What {@link ReloadableAgent} swaps across reloads: a delivery agent it closes once its last
 * delivery ends. In production always the SMTP client ({@link #of}); a test passes one that counts.
 */
interface ClosableAgent extends DeliveryAgent, AutoCloseable {
    @Override
    void close();

    /** The SMTP client as a ClosableAgent (null stays null: a retired transport). */
    static ClosableAgent of(SmtpDeliveryAgent agent) {
        return agent == null ? null : new ClosableAgent() {
            @Override
            public List<RecipientResult> deliver(DeliveryRequest request) {
                return agent.deliver(request);
            }

            @Override
            public void close() {
                agent.close();
            }
        };
    }
}

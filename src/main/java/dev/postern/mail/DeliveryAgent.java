package dev.postern.mail;

import java.util.List;

/**
 * A transport (Postfix master.cf delivery service). Lives here, low in the tiers, so that qmgr can
 * drive the SMTP client without importing it. Implementations return one result per recipient and
 * never throw for delivery problems: a failure is a Deferred or Bounced result. Called from a
 * worker thread; may block.
 */
public interface DeliveryAgent {
    List<RecipientResult> deliver(DeliveryRequest request);
}

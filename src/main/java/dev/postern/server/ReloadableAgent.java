package dev.postern.server;

import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.RecipientResult;
import dev.postern.smtp.SmtpDeliveryAgent;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The SMTP client as qmgr sees it, across reloads: each delivery uses the agent current when it
 * starts; a replaced agent is closed once the deliveries it is running have finished, so a reload
 * rebuilds the client's TLS contexts, policy tables and timeouts without cutting a delivery.
 */
final class ReloadableAgent implements DeliveryAgent, AutoCloseable {
    private record Counted(SmtpDeliveryAgent agent, AtomicInteger running, boolean[] retired) {
    }

    private final AtomicReference<Counted> current;

    ReloadableAgent(SmtpDeliveryAgent first) {
        current = new AtomicReference<>(new Counted(first, new AtomicInteger(), new boolean[1]));
    }

    @Override
    public List<RecipientResult> deliver(DeliveryRequest request) {
        Counted c;
        do {
            c = current.get();
            c.running().incrementAndGet();
            if (current.get() == c) {
                break;
            }
            release(c); // swapped meanwhile: use the new one
        } while (true);
        try {
            return c.agent().deliver(request);
        } finally {
            release(c);
        }
    }

    /** Deliveries from now on use {@code next}; the old agent closes when its last delivery ends. */
    void replace(SmtpDeliveryAgent next) {
        Counted old = current.getAndSet(new Counted(next, new AtomicInteger(), new boolean[1]));
        synchronized (old) {
            old.retired()[0] = true;
        }
        if (old.running().get() == 0) {
            closeOnce(old);
        }
    }

    private void release(Counted c) {
        if (c.running().decrementAndGet() == 0 && retiredFlag(c)) {
            closeOnce(c);
        }
    }

    private static boolean retiredFlag(Counted c) {
        synchronized (c) {
            return c.retired()[0];
        }
    }

    private static void closeOnce(Counted c) {
        synchronized (c) {
            if (c.retired()[0] && c.running().get() == 0) {
                c.retired()[0] = false; // closed: never again
                c.agent().close();
            }
        }
    }

    @Override
    public void close() {
        Counted c = current.get();
        synchronized (c) {
            c.retired()[0] = false;
        }
        c.agent().close();
    }
}

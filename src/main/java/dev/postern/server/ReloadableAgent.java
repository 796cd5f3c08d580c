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
    /** {@code instead}: where a delivery goes once the agent is retired (null: deferred as unavailable). */
    private record Counted(ClosableAgent agent, AtomicInteger running, boolean[] retired, DeliveryAgent instead) {
    }

    private final AtomicReference<Counted> current;

    ReloadableAgent(SmtpDeliveryAgent first) {
        this(ClosableAgent.of(first));
    }

    /** The seam {@code ReloadableAgentStressTest} uses; production passes the SMTP client above. */
    ReloadableAgent(ClosableAgent first) {
        current = new AtomicReference<>(new Counted(first, new AtomicInteger(), new boolean[1], null));
    }

    @Override
    public List<RecipientResult> deliver(DeliveryRequest request) {
        Counted c;
        do {
            c = current.get();
            if (c.agent() == null) { // retired: its master.cf line was removed by a reload
                return c.instead() != null ? c.instead().deliver(request) : unavailable(request);
            }
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

    /**
     * The transport is gone (a reload removed its master.cf line): its agent closes when its last
     * delivery ends, and a delivery that still reaches it is deferred.
     */
    void retire() {
        swap(null, null);
    }

    /**
     * Like {@link #retire()}, for a transport that stays with other settings (smtp or relay whose
     * line's -o a reload removed): a delivery qmgr handed out before the reload goes to {@code instead}.
     */
    void retireTo(DeliveryAgent instead) {
        swap(null, instead);
    }

    private static List<RecipientResult> unavailable(DeliveryRequest request) {
        return request.recipients().stream().<RecipientResult>map(r -> new RecipientResult.Deferred(r, "none", "4.3.0",
                "mail transport unavailable", java.time.Duration.ZERO, java.time.Duration.ZERO)).toList();
    }

    /** Deliveries from now on use {@code next}; the old agent closes when its last delivery ends. */
    void replace(SmtpDeliveryAgent next) {
        replace(ClosableAgent.of(next));
    }

    void replace(ClosableAgent next) {
        swap(next, null);
    }

    private void swap(ClosableAgent next, DeliveryAgent instead) {
        Counted old = current.getAndSet(new Counted(next, new AtomicInteger(), new boolean[1], instead));
        if (old.agent() == null) {
            return;
        }
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
        if (c.agent() != null) {
            c.agent().close();
        }
    }
}

package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryAgent;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientResult;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * qmgr - the queue manager. A scanner thread moves committed mail from incoming/ to active/ and
 * due mail from deferred/, and hands each message to a bounded pool of workers (at most
 * default_destination_concurrency_limit deliveries at once). A worker routes each recipient,
 * calls the transport's {@link DeliveryAgent} once per (transport, next hop), logs every result,
 * and then removes the file, rewrites it without the delivered recipients and defers it with
 * backoff, or (for mail older than maximal_queue_lifetime) gives up. qmgr never talks to the
 * network itself; it never imports a transport.
 */
public final class QueueManager implements AutoCloseable {
    private final Spool spool;
    private final QmgrSettings settings;
    private final Router router;
    private final Map<String, DeliveryAgent> agents;
    private final MailLog log;
    private final Clock clock;
    private final ExecutorService workers;
    private final Semaphore slots;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Object signal = new Object();
    private volatile boolean woken;
    private volatile boolean running;
    private Thread scanner;

    public QueueManager(Spool spool, QmgrSettings settings, RouterSettings routing, Map<String, DeliveryAgent> agents,
                        MailLog log, Clock clock) {
        this(spool, settings, new Router(routing), agents, log, clock);
    }

    public QueueManager(Spool spool, QmgrSettings settings, Router router, Map<String, DeliveryAgent> agents,
                        MailLog log, Clock clock) {
        this.spool = spool;
        this.settings = settings;
        this.router = router;
        this.agents = Map.copyOf(agents);
        this.log = log;
        this.clock = clock;
        this.slots = new Semaphore(settings.concurrency());
        this.workers = Executors.newFixedThreadPool(settings.concurrency(), r -> {
            Thread t = new Thread(r, "qmgr-delivery");
            t.setDaemon(true);
            return t;
        });
    }

    /** Recovers the spool (active back to incoming, temp files removed) and starts scanning. */
    public void start() throws IOException {
        for (String note : spool.recover()) {
            log.info("qmgr", note);
        }
        running = true;
        scanner = new Thread(this::scanLoop, "qmgr");
        scanner.setDaemon(true);
        scanner.start();
    }

    /** New mail was committed: scan incoming now. */
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    private void scanLoop() {
        Instant nextDeferredScan = Instant.EPOCH;
        while (running) {
            try {
                for (Path f : spool.list(Spool.Queue.INCOMING)) {
                    dispatch(f, true);
                }
                Instant now = clock.instant();
                if (!now.isBefore(nextDeferredScan) || woken) {
                    for (Path f : spool.list(Spool.Queue.DEFERRED)) {
                        if (!spool.nextAttempt(f).isAfter(now)) {
                            dispatch(f, false);
                        }
                    }
                    nextDeferredScan = now.plus(settings.queueRunDelay());
                }
                synchronized (signal) {
                    if (!woken && running) {
                        signal.wait(Math.max(10, Math.min(1000, settings.queueRunDelay().toMillis())));
                    }
                    woken = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (IOException e) {
                log.warning("qmgr", "queue scan failed: " + e.getMessage());
                sleep(1000);
            }
        }
    }

    private void dispatch(Path file, boolean fresh) throws InterruptedException {
        String id = file.getFileName().toString();
        if (!inFlight.add(id)) {
            return;
        }
        slots.acquire();
        Instant picked = clock.instant();
        Path active;
        try {
            active = spool.activate(file);
        } catch (IOException e) {
            log.warning("qmgr", id + ": cannot move to active: " + e.getMessage());
            inFlight.remove(id);
            slots.release();
            return;
        }
        workers.execute(() -> {
            try {
                deliver(active, picked);
            } catch (RuntimeException e) {
                log.warning("qmgr", id + ": delivery failed unexpectedly: " + e);
            } finally {
                inFlight.remove(id);
                slots.release();
            }
        });
    }

    private void deliver(Path file, Instant picked) {
        QueuedMessage m;
        try {
            m = spool.read(file);
        } catch (IOException e) {
            log.warning("qmgr", file.getFileName() + ": unreadable queue file moved to corrupt: " + e.getMessage());
            try {
                spool.quarantine(file);
            } catch (IOException ignored) {
                // it stays in active/ and is retried after the next start
            }
            return;
        }
        var env = m.envelope();
        String qid = env.id().toString();
        log.from(qid, env.sender().toString(), m.content().size(), env.recipients().size());
        Duration beforeQmgr = Duration.between(env.arrival(), picked);

        Map<Route, List<MailAddress>> groups = new LinkedHashMap<>();
        for (MailAddress r : env.recipients()) {
            groups.computeIfAbsent(routeOrDefer(env.sender(), r, qid), k -> new ArrayList<>()).add(r);
        }
        List<MailAddress> remaining = new ArrayList<>();
        for (Map.Entry<Route, List<MailAddress>> g : groups.entrySet()) {
            Route route = g.getKey();
            Instant handed = clock.instant();
            List<RecipientResult> results = attempt(route, m, g.getValue(), qid);
            Instant now = clock.instant();
            for (RecipientResult r : results) {
                RecipientResult logged = r;
                if (r instanceof RecipientResult.Deferred d && expired(env.arrival(), now)) {
                    logged = new RecipientResult.Bounced(d.recipient(), d.relay(), d.dsn().replaceFirst("^4", "5"),
                            "delivery temporarily suspended: " + d.diagnostic() + "; message expired",
                            d.connectSetup(), d.transmission(), d.connectionUse());
                }
                log.delivery(route.transport(), qid, logged, env.arrival(), now, beforeQmgr, Duration.between(picked, handed));
                if (logged instanceof RecipientResult.Deferred) {
                    remaining.add(r.recipient());
                }
            }
        }
        finish(m, remaining);
    }

    /** A table that cannot answer defers the recipient (Postfix: retry transport, 4.3.0), never routes it elsewhere. */
    private Route routeOrDefer(dev.postern.mail.ReversePath sender, MailAddress recipient, String qid) {
        try {
            return router.route(sender, recipient);
        } catch (dev.postern.maps.LookupException e) {
            log.warning("trivial-rewrite", qid + ": " + e.getMessage());
            return Route.resolverFailure(e);
        }
    }

    private List<RecipientResult> attempt(Route route, QueuedMessage m, List<MailAddress> rcpts, String qid) {
        DeliveryAgent agent = route.local() ? null : agents.get(route.transport());
        if (agent == null) {
            String why = route.local() ? "mail for " + route.nexthop() + " is local, and Postern has no local delivery agent yet"
                    : "unknown mail transport " + route.transport();
            List<RecipientResult> out = new ArrayList<>();
            for (MailAddress r : rcpts) {
                out.add(new RecipientResult.Deferred(r, "none", "4.3.5", why, Duration.ZERO, Duration.ZERO));
            }
            return out;
        }
        var env = m.envelope();
        return agent.deliver(new DeliveryRequest(env.id(), env.sender(), rcpts, route.transport(), route.nexthop(),
                m.content(), env.arrival(), env.eightBitMime(), env.smtpUtf8()));
    }

    private boolean expired(Instant arrival, Instant now) {
        return Duration.between(arrival, now).compareTo(settings.maximalQueueLifetime()) > 0;
    }

    private void finish(QueuedMessage m, List<MailAddress> remaining) {
        String qid = m.envelope().id().toString();
        try {
            if (remaining.isEmpty()) {
                spool.remove(m.file());
                log.removed(qid);
                return;
            }
            if (remaining.size() < m.envelope().recipients().size()) {
                spool.rewriteRecipients(m, m.envelope().withRecipients(remaining));
            }
            Instant now = clock.instant();
            spool.defer(m.file(), now.plus(settings.backoff(Duration.between(m.envelope().arrival(), now))));
        } catch (IOException e) {
            // The file stays in active/ and is retried after restart: a possible duplicate, never a loss.
            log.warning("qmgr", qid + ": cannot update queue file: " + e.getMessage());
        }
    }

    public void stop() {
        running = false;
        wake();
        if (scanner != null) {
            try {
                scanner.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.shutdown();
        try {
            if (!workers.awaitTermination(20, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.postern.qmgr;

import dev.postern.bounce.Bounce;
import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryAgent;
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
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * qmgr - the queue manager. The {@link QueueScanner} moves committed mail from incoming/, and due
 * mail from deferred/, into active/ while fewer than qmgr_message_active_limit messages are there;
 * each recipient is routed and one job per destination is queued with the {@link Scheduler},
 * which hands out delivery slots. Workers run jobs through
 * {@link DeliveryRun}; the last group of a message goes to {@link Completion}. qmgr never talks to
 * the network itself; it never imports a transport.
 */
public final class QueueManager implements AutoCloseable {
    private final Spool spool;
    private final MailLog log;
    private final Clock clock;
    private final Scheduler scheduler;
    private final DeliveryRun delivery;
    // Swapped together by reconfigure (a reload); every use reads the field once.
    private volatile QmgrSettings settings;
    private volatile Router router;
    private volatile Completion completion;
    private final ExecutorService workers;
    /**
     * Defers a dead destination's jobs ("delivery temporarily suspended", service retry), off the
     * scanner and delivery threads: after a flush the scanner must go on activating mail for live
     * destinations while the dead one's mail goes back to deferred/, not wait for each of those.
     */
    private final ExecutorService retry;
    /** Queue IDs in active/, so a scan never takes a message twice. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicInteger active = new AtomicInteger();
    private final QueueScanner scanner;

    public QueueManager(Spool spool, QmgrSettings settings, RouterSettings routing, Map<String, DeliveryAgent> agents,
                        Bounce bounce, MailLog log, Clock clock) {
        this(spool, settings, new Router(routing), agents, bounce, log, clock);
    }

    public QueueManager(Spool spool, QmgrSettings settings, Router router, Map<String, DeliveryAgent> agents,
                        Bounce bounce, MailLog log, Clock clock) {
        this(spool, settings, router, Transport.named(agents, log), bounce, log, clock);
    }

    /** With {@code transports} whose records may be logged under tags of their own (master.cf transports). */
    public QueueManager(Spool spool, QmgrSettings settings, Router router, List<Transport> transports,
                        Bounce bounce, MailLog log, Clock clock) {
        this.spool = spool;
        this.settings = settings;
        this.router = router;
        this.log = log;
        this.clock = clock;
        this.scheduler = new Scheduler(t -> this.settings.concurrencyFor(t), t -> this.settings.processLimitFor(t),
                settings.processLimit());
        this.delivery = new DeliveryRun(transports, log, clock);
        this.completion = new Completion(spool, settings, bounce, log, clock);
        this.scanner = new QueueScanner(spool, () -> this.settings, clock, log, active::get, this::activate,
                () -> scheduler.forgetExpired(clock.instant()));
        // Threads on demand, reused while idle and ended after a minute without work. The scheduler
        // already caps deliveries in progress at default_process_limit (each transport at its master.cf
        // maxproc, each destination at its concurrency limit), so the pool itself needs no bound. A fixed pool of processLimit threads
        // started a NEW thread for every delivery until it had processLimit of them, idle or not:
        // with default_process_limit = 10,100 (the benchmark's idle-session setting) that was 2,000
        // parked threads and +160 MiB of RSS after 2,000 messages to one destination of concurrency 20.
        this.workers = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "qmgr-delivery");
            t.setDaemon(true);
            return t;
        });
        this.retry = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qmgr-retry");
            t.setDaemon(true);
            return t;
        });
    }

    /** Recovers the spool (active back to incoming, temp files removed) and starts scanning. */
    public void start() throws IOException {
        for (String note : spool.recover()) {
            log.info("qmgr", note);
        }
        scanner.start();
    }

    /** New mail was committed: scan incoming now. */
    public void wake() {
        scanner.wake();
    }

    /** Postfix's flush: every deferred message is due now, and no destination counts as dead. */
    public void flush() {
        scheduler.reviveAll();
        scanner.flush();
    }

    /**
     * Postfix's "flush dead site/transport cache" alone (postqueue -s site sends it before moving
     * the site's mail to incoming/): no destination counts as dead any more.
     */
    public void reviveDestinations() {
        scheduler.reviveAll();
        scanner.wake();
    }

    /**
     * A reload's hook: mail routed from now on uses {@code nextRouter}; timing, lifetimes and
     * qmgr_message_active_limit come from {@code nextSettings}; notices are made by {@code nextBounce}.
     * Deliveries in progress, and jobs already routed and waiting for a slot, finish as they
     * started. default_process_limit (deliveries at once), each transport's master.cf maxproc and
     * the destination concurrency limits apply to deliveries started from now on, also to a
     * transport or destination with deliveries in progress (the scheduler reads the limits at each
     * start): the thread pool has no bound of its own, the scheduler is the limit.
     */
    public void reconfigure(QmgrSettings nextSettings, Router nextRouter, Bounce nextBounce) {
        reconfigure(nextSettings, nextRouter, nextBounce, null);
    }

    /**
     * As {@link #reconfigure(QmgrSettings, Router, Bounce)}, with the transports master.cf now
     * defines ({@code null}: unchanged). A job routed to a transport the reload removed, still
     * waiting for a slot, is deferred ("mail transport unavailable"), never lost.
     */
    public void reconfigure(QmgrSettings nextSettings, Router nextRouter, Bounce nextBounce, List<Transport> nextTransports) {
        if (nextTransports != null) {
            delivery.replace(nextTransports);
        }
        completion = new Completion(spool, nextSettings, nextBounce, log, clock);
        settings = nextSettings; // before the router: a job it routes to a new transport finds that transport's limit
        router = nextRouter;
        scheduler.setProcessLimit(nextSettings.processLimit()); // also rechecks jobs waiting at a transport's maxproc
        pump(); // a higher limit starts jobs already waiting for a slot now
        scanner.wake(); // a larger active limit or a shorter queue_run_delay applies now
    }

    /** Deliveries started and not yet finished through {@code transport}, over its destinations (for tests). */
    public int deliveriesInProgress(String transport) {
        return scheduler.running(transport);
    }

    /** Messages in the active queue now (for tests and status). */
    public int activeCount() {
        return active.get();
    }

    /** Deliveries started and not yet finished, over every destination (for tests and status). */
    public int deliveriesInProgress() {
        return scheduler.running();
    }

    private void activate(Path file) {
        String id = file.getFileName().toString();
        if (!inFlight.add(id)) {
            return;
        }
        Instant picked = clock.instant();
        Path activeFile;
        try {
            activeFile = spool.activate(file);
        } catch (java.nio.file.NoSuchFileException e) {
            inFlight.remove(id); // a queue tool took it meanwhile (delete, hold): nothing to do
            return;
        } catch (IOException e) {
            log.warning("qmgr", id + ": cannot move to active: " + e.getMessage());
            inFlight.remove(id);
            return;
        }
        active.incrementAndGet();
        QueuedMessage m;
        try {
            m = spool.read(activeFile);
        } catch (dev.postern.queue.CorruptQueueFileException e) {
            left(id); // the spool has moved it to corrupt/ and logged the warning
            return;
        } catch (IOException e) {
            log.warning("qmgr", id + ": unreadable queue file moved to corrupt: " + e.getMessage());
            try {
                spool.quarantine(activeFile);
            } catch (IOException ignored) {
                // it stays in active/ and is looked at again after the next start
            }
            left(id);
            return;
        }
        if (m.requeued()) { // a requeue record, written by an older Postern's queue tool
            requeue(m, id);
            return;
        }
        var env = m.envelope();
        log.from(env.id().toString(), env.sender().toString(), m.content().size(), env.recipients().size());
        schedule(new ActiveMessage(m, picked));
    }

    /**
     * A message an older Postern's {@code postern queue requeue} marked with a requeue record (it
     * then stayed in the queue): it goes to maildrop/ now, where pickup submits it through
     * cleanup again, as a requeue does today ({@link dev.postern.queue.QueueControl#requeue}).
     */
    private void requeue(QueuedMessage m, String id) {
        try {
            spool.requeue(m.file());
        } catch (IOException | RuntimeException e) {
            log.warning("qmgr", id + ": cannot requeue, will retry: " + e.getMessage());
            try {
                spool.defer(m.file(), clock.instant().plus(settings.minimalBackoff()));
            } catch (IOException again) {
                // Left in active/: moved back to incoming/ at the next start.
            }
        }
        left(id);
    }

    /**
     * Routes the recipients (all to the message's content filter when it has one), then queues one
     * job per destination; unroutable ones are deferred.
     */
    private void schedule(ActiveMessage m) {
        var env = m.current().envelope();
        Map<Route, List<MailAddress>> groups = new LinkedHashMap<>();
        List<RecipientResult> unroutable = new ArrayList<>();
        String filter = env.filter(); // null for almost all mail
        String filterNexthop = filter == null ? null : settings.defaultFilterNexthop();
        for (MailAddress r : env.recipients()) {
            try {
                Route route = filter != null ? Route.contentFilter(filter, r, filterNexthop)
                        : routeOrDefer(env.sender(), r, env.id().toString());
                groups.computeIfAbsent(route, k -> new ArrayList<>()).add(r);
            } catch (RuntimeException e) {
                log.warning("qmgr", env.id() + ": cannot route " + r + ": " + e.getMessage());
                unroutable.add(new RecipientResult.Deferred(r, "none", "4.3.0",
                        "address resolver failure: " + e.getMessage(), Duration.ZERO, Duration.ZERO));
            }
        }
        m.expectGroups(groups.size() + (unroutable.isEmpty() && !groups.isEmpty() ? 0 : 1));
        if (!unroutable.isEmpty() || groups.isEmpty()) {
            unroutable.forEach(r -> log.delivery("qmgr", "qmgr", env.id().toString(), r, env.originalOf(r.recipient()),
                    env.arrival(), clock.instant(),
                    Duration.between(env.arrival(), m.picked()), Duration.ZERO));
            groupDone(m, unroutable);
        }
        for (Map.Entry<Route, List<MailAddress>> g : groups.entrySet()) {
            Job job = new Job(m, g.getKey(), g.getValue());
            if (!delivery.hasAgent(job.route())) {
                groupDone(m, delivery.noAgent(job));
                continue;
            }
            Scheduler.Suspension dead = scheduler.add(job, clock.instant());
            if (dead != null) {
                suspend(List.of(job), dead.cause());
            }
        }
        pump();
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

    /** Starts every job the scheduler allows now. */
    private void pump() {
        if (!scanner.running()) {
            return;
        }
        for (Job job : scheduler.takeRunnable()) {
            try {
                workers.execute(() -> run(job));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                scheduler.finished(job, null, Instant.MIN); // stopping: the file stays in active/ for the next start
            }
        }
    }

    private void run(Job job) {
        List<RecipientResult> results = null;
        List<Job> suspended = List.of();
        QmgrSettings settings = this.settings;
        try {
            results = delivery.deliver(job);
        } finally {
            if (results == null) {
                results = delivery.failed(job, "delivery did not complete");
            }
            RecipientResult site = results == null ? null : DeliveryRun.siteFailure(results);
            suspended = scheduler.finished(job, site, clock.instant().plus(settings.minimalBackoff()));
            if (suspended == null) {
                suspended = List.of();
            } else {
                log.info("qmgr", "destination " + job.route().transport() + ":" + job.route().nexthop()
                        + " marked down for " + settings.minimalBackoff().toSeconds() + "s: " + site.diagnostic());
            }
            try {
                suspend(suspended, site);
                groupDone(job.message(), results);
            } finally {
                pump();
            }
        }
    }

    /** A dead destination's jobs, deferred in order on the retry thread. */
    private void suspend(List<Job> jobs, RecipientResult cause) {
        if (jobs.isEmpty()) {
            return;
        }
        try {
            retry.execute(() -> {
                for (Job s : jobs) {
                    groupDone(s.message(), delivery.suspended(s, cause));
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping: the files stay in active/ and go back to incoming/ at the next start.
        }
    }

    private void groupDone(ActiveMessage m, List<RecipientResult> results) {
        boolean left;
        QmgrSettings settings = this.settings;
        try {
            left = completion.groupDone(m, results);
        } catch (RuntimeException e) {
            log.warning("qmgr", m.queueId() + ": cannot complete delivery: " + e);
            left = true;
            try {
                spool.defer(m.current().file(), clock.instant().plus(settings.minimalBackoff()));
            } catch (IOException | RuntimeException again) {
                // Left in active/: moved back to incoming/ at the next start.
            }
        }
        if (left) {
            left(m.queueId());
        }
    }

    private void left(String id) {
        inFlight.remove(id);
        active.decrementAndGet();
        scanner.roomMade();
    }

    public void stop() {
        scanner.stop();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(20, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
            retry.shutdown(); // after the workers: they may still hand it a dead destination's jobs
            if (!retry.awaitTermination(20, TimeUnit.SECONDS)) {
                retry.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            retry.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}

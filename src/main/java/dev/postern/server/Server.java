package dev.postern.server;

import dev.postern.bounce.Bounce;
import dev.postern.bounce.BounceSettings;
import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupSettings;
import dev.postern.config.Config;
import dev.postern.config.ConfigException;
import dev.postern.config.ConfigLoader;
import dev.postern.config.LoadedConfig;
import dev.postern.config.MasterService;
import dev.postern.log.MailLog;
import dev.postern.log.MailLogSettings;
import dev.postern.metrics.MetricsServer;
import dev.postern.pickup.Pickup;
import dev.postern.pickup.PickupSettings;
import dev.postern.protocol.NettyTransport;
import dev.postern.qmgr.QmgrSettings;
import dev.postern.qmgr.QueueManager;
import dev.postern.qmgr.Router;
import dev.postern.qmgr.RouterSettings;
import dev.postern.queue.Spool;
import dev.postern.smtpd.SessionLimit;
import dev.postern.smtpd.Smtpd;
import dev.postern.smtpd.SmtpdSettings;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Assembly and lifecycle, like Postfix's master: builds every stage from {@link Config} in tier
 * order (spool, cleanup, delivery agents, qmgr, smtpd listeners), starts them, reloads them in
 * place, and stops them in reverse order. Wiring is plain code: read it top to bottom to see the
 * whole system.
 */
public final class Server implements AutoCloseable {
    /** How long stop waits for sessions in progress (a transaction in DATA) before closing them. */
    static final long STOP_GRACE_MILLIS = 10_000;

    private volatile Config config;
    private final MailLog log;
    private final Listeners listeners;
    private final QueueManager qmgr;
    private final Transports transports;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final PidFile pidFile;
    private final Spool spool;
    private final Cleanup bounceCleanup;
    private final java.util.concurrent.atomic.AtomicInteger reloads = new java.util.concurrent.atomic.AtomicInteger();
    private Cleanup cleanup;
    private Pickup pickup;
    private MetricsServer metricsServer; // null: postern_metrics_listen is empty
    private boolean closed;

    private Server(Config config, MailLog log, Listeners listeners, QueueManager qmgr, Transports transports,
                   EventLoopGroup acceptors, EventLoopGroup workers, PidFile pidFile,
                   Spool spool, Cleanup cleanup, Pickup pickup) {
        this.config = config;
        this.log = log;
        this.listeners = listeners;
        this.qmgr = qmgr;
        this.transports = transports;
        this.acceptors = acceptors;
        this.workers = workers;
        this.pidFile = pidFile;
        this.spool = spool;
        this.bounceCleanup = cleanup;
        this.cleanup = cleanup;
        this.pickup = pickup;
    }

    /** Loads the configuration and checks everything a start would check, without binding. */
    public static Plan plan(Path configDir) throws ConfigException {
        LoadedConfig loaded = ConfigLoader.load(configDir);
        return Plan.of(loaded);
    }

    /**
     * Starts everything. {@code mailLogOut} receives the mail log when maillog_file is empty; null
     * sends it to syslog instead (the background daemon, start-fg under systemd).
     * @throws ConfigException for configuration mistakes, IOException when a port cannot be bound
     */
    public static Server start(Plan plan, OutputStream mailLogOut) throws ConfigException, IOException {
        Config c = plan.config();
        dev.postern.metrics.Metrics metrics = MetricsEndpoint.metricsFor(c);
        MailLog log = MailLog.open(MailLogSettings.from(c::get), mailLogOut, metrics);
        plan.warnings().forEach(w -> log.warning("master", w));
        Path queueDir = Path.of(c.get("queue_directory"));
        // master.pid is locked before the spool is touched: two daemons never recover one queue.
        PidFile pid = new PidFile(queueDir);
        Optional<PidFile.Holder> other = pid.lock();
        if (other.isPresent()) {
            log.close();
            throw new IOException("the mail system is already running (pid " + other.get().pid() + ")");
        }
        try {
            return start(plan, c, log, queueDir, pid);
        } catch (ConfigException | IOException | RuntimeException e) {
            pid.delete();
            log.close();
            throw e;
        }
    }

    private static Server start(Plan plan, Config c, MailLog log, Path queueDir, PidFile pid) throws ConfigException, IOException {
        warnAboutDescriptors(plan, log);
        Spool spool = Spool.open(queueDir, new Spool.Events() {
            @Override
            public void info(String text) {
                log.info("qmgr", text);
            }

            @Override
            public void warning(String text) {
                log.warning("qmgr", text);
            }
        });
        List<AutoCloseable> built = new ArrayList<>(List.of(spool));
        try {
            QueueManager[] qmgrRef = new QueueManager[1];
            Cleanup cleanup = newCleanup(spool, c, log, () -> qmgrRef[0].wake());
            built.add(0, cleanup);
            Transports transports = Transports.start(c, log);
            built.add(0, transports);
            Bounce bounce = new Bounce(BounceSettings.from(c), cleanup, log, Clock.systemUTC());
            QueueManager qmgr = new QueueManager(spool, QmgrSettings.from(c), newRouter(c), transports.forQmgr(), bounce, log,
                    Clock.systemUTC());
            qmgrRef[0] = qmgr;
            EventLoopGroup acceptors = NettyTransport.newGroup(1, "smtpd-accept");
            EventLoopGroup workers = NettyTransport.newGroup(smtpdEventLoops(), "smtpd");
            built.add(0, () -> shutdownGroups(acceptors, workers));
            Listeners listeners = new Listeners(log, acceptors, workers);
            listeners.apply(plan, cleanup);
            built.add(0, () -> listeners.close(0));
            qmgr.start();
            built.add(0, qmgr::stop);
            Pickup pickup; // sendmail's maildrop/, also what waited while the daemon was down
            try {
                pickup = Pickup.start(PickupSettings.from(c), BounceSettings.from(c), cleanup, log);
            } catch (IOException e) {
                throw new IOException("pickup: cannot watch " + queueDir.resolve("maildrop") + ": " + e.getMessage(), e);
            }
            spool.watchTriggers(qmgr::wake, qmgr::flush, qmgr::reviveDestinations); // postern queue flush (-s), release, requeue
            Server[] self = new Server[1];
            MetricsServer metricsServer = MetricsEndpoint.start(c, log.metrics(), spool,
                    () -> self[0] == null ? c : self[0].config());
            if (metricsServer != null) {
                built.add(0, metricsServer);
            }
            pid.write(ProcessHandle.current().pid());
            for (InetSocketAddress a : listeners.addresses()) {
                log.info("master", "daemon started -- listening on " + printable(a));
            }
            for (String tls : listeners.tlsLibraries()) {
                log.info("master", "TLS on " + tls);
            }
            if (metricsServer != null) {
                log.info("master", "metrics listening on " + printable(metricsServer.address()));
            }
            self[0] = new Server(c, log, listeners, qmgr, transports, acceptors, workers, pid, spool, cleanup, pickup);
            self[0].metricsServer = metricsServer;
            return self[0];
        } catch (ConfigException | IOException | RuntimeException e) {
            for (AutoCloseable a : built) {
                try {
                    a.close();
                } catch (Exception ignored) {
                    // closing after a failed start; the first error is the one to report
                }
            }
            throw e;
        }
    }

    private static Cleanup newCleanup(Spool spool, Config c, MailLog log, Runnable onCommit) throws ConfigException {
        try {
            return new Cleanup(spool, CleanupSettings.from(c), log, onCommit);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("main.cf", 0, e.getMessage(), "fix the table or the parameter naming it");
        }
    }

    private static Router newRouter(Config c) throws ConfigException {
        try {
            return new Router(RouterSettings.from(c));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("main.cf", 0, "routing: " + e.getMessage(), "fix transport_maps or sender_dependent_relayhost_maps");
        }
    }

    private static void warnAboutDescriptors(Plan plan, MailLog log) {
        DescriptorBudget.softLimit().flatMap(limit -> DescriptorBudget.check(plan.listeners(),
                QmgrSettings.from(plan.config()).processLimit(), limit)).ifPresent(w -> log.warning("master", w));
    }

    static String printable(InetSocketAddress a) {
        return dev.postern.util.IpAddresses.printable(a.getAddress()) + ":" + a.getPort();
    }

    /**
     * Swaps in {@code plan} without a gap, as Postfix's {@code reload}: listeners that stay are
     * kept (their sockets never close), new ones open, removed ones stop accepting while their
     * sessions finish; new connections get the new smtpd settings, TLS contexts, restrictions and
     * tables; the SMTP clients are rebuilt (smtp/relay and each master.cf transport: added, changed
     * and removed ones applied); qmgr goes on with the new routing (relayhost, transport
     * and sender-dependent maps), timing, limits and bounce settings for mail it routes from now
     * on, while deliveries in progress finish as they started. All or nothing: on any error (a TLS file,
     * an address that cannot be bound) nothing has changed and the exception says why.
     * @return notes for the log (what changed, what needs a restart)
     */
    public synchronized List<String> reload(Plan plan) throws ConfigException, IOException {
        if (closed) {
            throw new IOException("the mail system is stopping");
        }
        Config c = plan.config();
        List<String> notes = new ArrayList<>(ReloadScope.needsRestart(config, c));
        Router nextRouter = newRouter(c); // before anything changes: a table that cannot open refuses the reload
        Cleanup oldCleanup = cleanup;
        boolean newCleanup = !CleanupSettings.from(c).equals(CleanupSettings.from(config));
        Cleanup nextCleanup = newCleanup ? newCleanup(spool, c, log, qmgr::wake) : oldCleanup;
        Transports.Update nextAgents;
        try {
            nextAgents = Transports.build(c, log); // smtp/relay and every master.cf transport
        } catch (ConfigException | RuntimeException e) {
            if (newCleanup) {
                nextCleanup.close();
            }
            throw e;
        }
        Listeners.Change change;
        try {
            change = listeners.apply(plan, nextCleanup);
        } catch (ConfigException | IOException | RuntimeException e) {
            nextAgents.close();
            if (newCleanup) {
                nextCleanup.close();
            }
            throw e;
        }
        notes.addAll(transports.apply(nextAgents));
        // Mail routed from now on goes by the new relayhost, tables and transports; deliveries in progress finish.
        qmgr.reconfigure(QmgrSettings.from(c), nextRouter, new Bounce(BounceSettings.from(c), bounceCleanup, log, Clock.systemUTC()),
                transports.forQmgr());
        if (newCleanup || !PickupSettings.from(c).equals(PickupSettings.from(config))) {
            pickup.close(); // after the message in hand; the rest waits in maildrop/ for the new one
            try {
                pickup = Pickup.start(PickupSettings.from(c), BounceSettings.from(c), nextCleanup, log);
            } catch (IOException e) {
                notes.add("pickup: cannot watch maildrop: " + e.getMessage() + "; sendmail mail waits until restart");
            }
        }
        cleanup = nextCleanup;
        if (newCleanup && oldCleanup != bounceCleanup) {
            whenClosed(change.oldSessions(), oldCleanup::close);
        }
        plan.warnings().forEach(w -> log.warning("master", w));
        warnAboutDescriptors(plan, log);
        change.opened().forEach(a -> notes.add("listening on " + printable(a)));
        change.closed().forEach(a -> notes.add("no longer listening on " + printable(a)));
        config = c;
        reloads.incrementAndGet();
        return notes;
    }

    /** Runs {@code action} once every channel in {@code sessions} has closed. */
    private static void whenClosed(List<io.netty.channel.Channel> sessions, Runnable action) {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(sessions.size() + 1);
        Runnable one = () -> {
            if (left.decrementAndGet() == 0) {
                action.run();
            }
        };
        sessions.forEach(ch -> ch.closeFuture().addListener(f -> one.run()));
        one.run();
    }

    /** Reloads done since start (for tests and status). */
    public int reloadCount() {
        return reloads.get();
    }

    /** Messages in qmgr's active queue now (for tests). */
    int qmgrActiveCount() {
        return qmgr.activeCount();
    }

    /** Deliveries qmgr has started and not yet finished (for tests). */
    int deliveriesInProgress() {
        return qmgr.deliveriesInProgress();
    }

    /** Deliveries qmgr has started through {@code transport} and not yet finished (for tests). */
    int deliveriesInProgress(String transport) {
        return qmgr.deliveriesInProgress(transport);
    }

    /** Sessions each smtpd service counts now (see {@link dev.postern.smtpd.SessionLimit#active()}). */
    java.util.Map<String, Integer> sessionCounts() {
        return listeners.sessionCounts();
    }

    public List<InetSocketAddress> addresses() {
        return listeners.addresses();
    }

    public MailLog mailLog() {
        return log;
    }

    /** Where postern_metrics_listen is served (the real port for port 0), empty when metrics are off. */
    public Optional<InetSocketAddress> metricsAddress() {
        return Optional.ofNullable(metricsServer).map(MetricsServer::address);
    }

    public Config config() {
        return config;
    }

    /**
     * Graceful stop: no new connections; sessions in progress get {@link #STOP_GRACE_MILLIS} to
     * finish their transaction (a message cut here had no 250, so nothing acknowledged is lost);
     * qmgr finishes its deliveries; then pickup, cleanup, the SMTP client, the spool, the event
     * loops and the log close, and master.pid is released.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listeners.stopAccepting();
        if (metricsServer != null) {
            metricsServer.close();
        }
        pickup.close();
        listeners.close(STOP_GRACE_MILLIS);
        qmgr.stop();
        transports.close();
        cleanup.close();
        bounceCleanup.close();
        spool.close(); // its commit, recycle and trigger threads; an inotify instance
        shutdownGroups(acceptors, workers);
        log.info("master", "terminating on signal 15");
        log.close();
        pidFile.delete();
    }

    private static void shutdownGroups(EventLoopGroup a, EventLoopGroup w) {
        a.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        w.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }

    /**
     * One smtpd event loop per CPU, not Netty's default of two: with fewer loops each has more
     * sessions, so it more often finds work waiting instead of sleeping and being woken for each
     * client command (on a 2-CPU virtual machine a sleep and wake-up cost ~14 µs of CPU). A/B on
     * that host (BENCHMARKS.md, issue 12): RSA lock-step 1 CPU per message 0.966 (paired 0.927),
     * sleeps per message 20.4 -> 17.7; EC lock-step 20: 0.884 (paired 0.863), msgs/s +11%. (On an
     * Intel host an earlier A/B, without the sleep counts, said 1.06 for RSA lock-step 1.)
     * {@code -Dio.netty.eventLoopThreads=N} still sets the number.
     */
    static int smtpdEventLoops() {
        return Math.max(1, Integer.getInteger("io.netty.eventLoopThreads", Runtime.getRuntime().availableProcessors()));
    }
}

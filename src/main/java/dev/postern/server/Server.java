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
import dev.postern.mail.DeliveryAgent;
import dev.postern.pickup.Pickup;
import dev.postern.pickup.PickupSettings;
import dev.postern.protocol.NettyTransport;
import dev.postern.qmgr.QmgrSettings;
import dev.postern.qmgr.QueueManager;
import dev.postern.qmgr.RouterSettings;
import dev.postern.queue.Spool;
import dev.postern.smtp.SmtpClientSettings;
import dev.postern.smtp.SmtpDeliveryAgent;
import dev.postern.smtpd.SessionLimit;
import dev.postern.smtpd.Smtpd;
import dev.postern.smtpd.SmtpdSettings;
import dev.postern.tls.TlsSetupException;
import io.netty.channel.EventLoopGroup;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Assembly and lifecycle, like Postfix's master: builds every stage from {@link Config} in tier
 * order (spool, cleanup, delivery agents, qmgr, smtpd listeners), starts them, and stops them in
 * reverse order. Wiring is plain code: read it top to bottom to see the whole system.
 */
public final class Server implements AutoCloseable {
    /** The transports Server wires (local is known but has no agent yet: its mail is deferred). */
    static final java.util.Set<String> TRANSPORTS = java.util.Set.of("smtp", "relay", "error", "retry", "local");

    private final Config config;
    private final MailLog log;
    private final List<Smtpd> listeners;
    private final QueueManager qmgr;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ExecutorService blocking;
    private final PidFile pidFile;
    private final Pickup pickup;
    private Spool spool;

    private Server(Config config, MailLog log, List<Smtpd> listeners, QueueManager qmgr, EventLoopGroup acceptors,
                   EventLoopGroup workers, ExecutorService blocking, PidFile pidFile, Pickup pickup) {
        this.pickup = pickup;
        this.config = config;
        this.log = log;
        this.listeners = listeners;
        this.qmgr = qmgr;
        this.acceptors = acceptors;
        this.workers = workers;
        this.blocking = blocking;
        this.pidFile = pidFile;
    }

    /** Loads the configuration and checks everything a start would check, without binding. */
    public static Plan plan(Path configDir) throws ConfigException {
        LoadedConfig loaded = ConfigLoader.load(configDir);
        return Plan.of(loaded);
    }

    /**
     * Starts everything. {@code mailLogOut} receives the mail log when maillog_file is empty.
     * @throws ConfigException for configuration mistakes, IOException when a port cannot be bound
     */
    public static Server start(Plan plan, OutputStream mailLogOut) throws ConfigException, IOException {
        Config c = plan.config();
        MailLog log = MailLog.async(openMailLog(c, mailLogOut), c.get("myhostname"), c.get("syslog_name"));
        plan.warnings().forEach(w -> log.warning("master", w));
        Path queueDir = Path.of(c.get("queue_directory"));
        // master.pid is locked before the spool is touched: two daemons never recover one queue.
        PidFile pid = new PidFile(queueDir);
        Optional<PidFile.Holder> other = pid.lock();
        if (other.isPresent()) {
            throw new IOException("the mail system is already running (pid " + other.get().pid() + ")");
        }
        try {
            return start(plan, c, log, queueDir, pid);
        } catch (ConfigException | IOException | RuntimeException e) {
            pid.delete();
            throw e;
        }
    }

    private static Server start(Plan plan, Config c, MailLog log, Path queueDir, PidFile pid) throws ConfigException, IOException {
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
        QueueManager[] qmgrRef = new QueueManager[1];
        Cleanup cleanup = new Cleanup(spool, CleanupSettings.from(c), log, () -> qmgrRef[0].wake());
        SmtpDeliveryAgent smtp;
        try {
            smtp = new SmtpDeliveryAgent(SmtpClientSettings.from(c), log);
        } catch (TlsSetupException | IllegalArgumentException e) {
            log.close();
            throw new ConfigException("main.cf", 0, "SMTP client: " + e.getMessage(), "fix the smtp_tls_* settings");
        }
        Bounce bounce = new Bounce(BounceSettings.from(c), cleanup, log, Clock.systemUTC());
        QueueManager qmgr = new QueueManager(spool, QmgrSettings.from(c), RouterSettings.from(c),
                Map.<String, DeliveryAgent>of("smtp", smtp, "relay", smtp,
                        "error", dev.postern.error.ErrorDeliveryAgent.error(),
                        "retry", dev.postern.error.ErrorDeliveryAgent.retry()), bounce, log, Clock.systemUTC());
        qmgrRef[0] = qmgr;

        EventLoopGroup acceptors = NettyTransport.newGroup(1, "smtpd-accept");
        EventLoopGroup workers = NettyTransport.newGroup(0, "smtpd");
        ExecutorService blocking = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "smtpd-blocking");
            t.setDaemon(true);
            return t;
        });
        List<Smtpd> listeners = new ArrayList<>();
        try {
            for (Plan.Listener l : plan.listeners()) {
                SessionLimit limit = new SessionLimit(l.service().name(), l.processLimit(), log);
                for (InetSocketAddress address : l.addresses()) {
                    listeners.add(Smtpd.start(l.settings(), address, cleanup, log, acceptors, workers, blocking, limit));
                }
            }
        } catch (TlsSetupException e) {
            listeners.forEach(s -> s.close(0));
            shutdownGroups(acceptors, workers, blocking);
            log.close();
            throw new ConfigException("main.cf", 0, e.getMessage(), "fix the TLS file settings");
        } catch (IOException | RuntimeException e) {
            listeners.forEach(s -> s.close(0));
            shutdownGroups(acceptors, workers, blocking);
            log.close();
            throw e;
        }
        qmgr.start();
        Pickup pickup; // sendmail's maildrop/, also what waited while the daemon was down
        try {
            pickup = Pickup.start(PickupSettings.from(c), cleanup, log);
        } catch (IOException e) {
            listeners.forEach(s -> s.close(0));
            qmgr.stop();
            shutdownGroups(acceptors, workers, blocking);
            spool.close();
            log.close();
            throw new IOException("pickup: cannot watch " + queueDir.resolve("maildrop") + ": " + e.getMessage(), e);
        }
        spool.watchTriggers(qmgr::wake, qmgr::flush, qmgr::reviveDestinations); // postern queue flush, release, requeue
        pid.write(ProcessHandle.current().pid());
        for (Smtpd s : listeners) {
            log.info("master", "daemon started -- listening on " + dev.postern.util.IpAddresses.printable(s.localAddress().getAddress()) + ":"
                    + s.localAddress().getPort());
        }
        Server server = new Server(c, log, List.copyOf(listeners), qmgr, acceptors, workers, blocking, pid, pickup);
        server.spool = spool;
        return server;
    }

    private static OutputStream openMailLog(Config c, OutputStream fallback) throws IOException {
        String file = c.get("maillog_file");
        if (file.isEmpty()) {
            return fallback;
        }
        Path p = Path.of(file);
        if (p.getParent() != null) {
            Files.createDirectories(p.getParent());
        }
        return Files.newOutputStream(p, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    public List<InetSocketAddress> addresses() {
        return listeners.stream().map(Smtpd::localAddress).toList();
    }

    public MailLog mailLog() {
        return log;
    }

    public Config config() {
        return config;
    }

    /** Graceful stop: no new connections, sessions get a grace period, qmgr finishes its step. */
    @Override
    public void close() {
        listeners.forEach(Smtpd::stopAccepting);
        pickup.close();
        listeners.forEach(s -> s.close(5_000));
        qmgr.stop();
        if (spool != null) {
            spool.close(); // its commit, recycle and trigger threads; an inotify instance
        }
        shutdownGroups(acceptors, workers, blocking);
        log.info("master", "terminating on signal 15");
        log.close();
        pidFile.delete();
    }

    private static void shutdownGroups(EventLoopGroup a, EventLoopGroup w, ExecutorService blocking) {
        a.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        w.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        blocking.shutdownNow();
    }
}

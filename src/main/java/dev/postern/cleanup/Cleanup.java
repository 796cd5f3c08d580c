package dev.postern.cleanup;

import dev.postern.log.MailLog;
import dev.postern.mail.QueueId;
import dev.postern.queue.Spool;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * cleanup - the single intake of the queue: smtpd (and later sendmail and bounces) open
 * transactions here. File I/O runs on cleanup's own threads, never on a Netty event loop.
 */
public final class Cleanup implements AutoCloseable {
    private final Spool spool;
    private final CleanupSettings settings;
    private final MailLog log;
    private final Runnable onCommit;
    private final ExecutorService io;

    public Cleanup(Spool spool, CleanupSettings settings, MailLog log, Runnable onCommit) {
        this.spool = spool;
        this.settings = settings;
        this.log = log;
        this.onCommit = onCommit;
        // fsync blocks for milliseconds without using CPU: enough threads that concurrent sessions
        // fsync in parallel instead of queueing behind each other.
        this.io = Executors.newFixedThreadPool(Math.max(32, Runtime.getRuntime().availableProcessors() * 8), r -> {
            Thread t = new Thread(r, "cleanup");
            t.setDaemon(true);
            return t;
        });
    }

    public CleanupTransaction open(Envelope envelope) {
        return new SpoolTransaction(QueueId.next(), envelope, spool, settings, log, onCommit, io);
    }

    @Override
    public void close() {
        io.shutdown();
    }
}

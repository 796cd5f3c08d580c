package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.queue.Spool;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * qmgr's scanner thread (Postfix's qmgr_scan): incoming/ whenever woken, deferred/ every
 * queue_run_delay or on a flush, handing each file to be activated while the active queue has
 * room. Only names and mtimes (the next-attempt times) of deferred files are read, so a million
 * deferred messages cost a directory listing, not a million parsed files. A deferred scan cut
 * short by qmgr_message_active_limit resumes once the active queue is down to three quarters.
 */
final class QueueScanner {
    private final Spool spool;
    private final QmgrSettings settings;
    private final Clock clock;
    private final MailLog log;
    private final IntSupplier activeCount;
    private final Consumer<Path> activate;
    private final Object signal = new Object();
    private volatile boolean woken;
    private volatile boolean flushRequested;
    private volatile boolean running;
    private volatile boolean deferredScanCut;
    private Thread thread;

    QueueScanner(Spool spool, QmgrSettings settings, Clock clock, MailLog log, IntSupplier activeCount,
                 Consumer<Path> activate) {
        this.spool = spool;
        this.settings = settings;
        this.clock = clock;
        this.log = log;
        this.activeCount = activeCount;
        this.activate = activate;
    }

    void start() {
        running = true;
        thread = new Thread(this::loop, "qmgr");
        thread.setDaemon(true);
        thread.start();
    }

    void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /** Every deferred file is taken at the next scan, due or not. */
    void flush() {
        flushRequested = true;
        wake();
    }

    /** A message left the active queue: if a scan was cut short for lack of room, look again. */
    void roomMade() {
        if (deferredScanCut) {
            wake();
        }
    }

    boolean running() {
        return running;
    }

    private void loop() {
        Instant nextDeferredScan = Instant.MIN;
        while (running) {
            try {
                for (Path f : spool.list(Spool.Queue.INCOMING)) {
                    if (!roomInActive()) {
                        break;
                    }
                    activate.accept(f);
                }
                Instant now = clock.instant();
                boolean resume = deferredScanCut && activeCount.getAsInt() <= settings.messageActiveLimit() * 3 / 4;
                if (!now.isBefore(nextDeferredScan) || flushRequested || resume) {
                    boolean flush = flushRequested;
                    flushRequested = false;
                    scanDeferred(now, flush);
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
            } catch (IOException | RuntimeException e) {
                log.warning("qmgr", "queue scan failed: " + e);
                pause();
            }
        }
    }

    private boolean roomInActive() {
        return running && activeCount.getAsInt() < settings.messageActiveLimit();
    }

    private void scanDeferred(Instant now, boolean flush) throws IOException {
        deferredScanCut = false;
        for (Path f : spool.list(Spool.Queue.DEFERRED)) {
            if (!roomInActive()) {
                deferredScanCut = true;
                return;
            }
            try {
                if (flush || !spool.nextAttempt(f).isAfter(now)) {
                    activate.accept(f);
                }
            } catch (IOException e) {
                // Gone meanwhile (removed by an administrator): nothing to do.
            }
        }
    }

    void stop() {
        running = false;
        wake();
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

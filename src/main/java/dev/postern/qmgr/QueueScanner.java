package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.queue.Spool;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * qmgr's scanner thread (Postfix's qmgr_scan): incoming/ whenever woken, deferred/ every
 * queue_run_delay or on a flush, handing each file to be activated while the active queue has
 * room.
 *
 * <p>The deferred scan is a cursor over the directory ({@link Spool#scan}), not a list: it reads
 * names as it goes and stats each one for its mtime (the next attempt); a file that is not due
 * leaves nothing behind in memory, so a million deferred messages cost a directory walk, never a
 * million objects. It advances {@link #BATCH} names at a time, and between batches incoming/ is
 * served first whenever new mail woke the scanner, so a long deferred walk never holds up fresh
 * mail. When the active queue is full the cursor stays where it is and resumes as messages leave
 * (as Postfix's scan context does), instead of starting over.
 */
final class QueueScanner {
    /** Names looked at per step of the deferred walk before incoming/ gets another look. */
    static final int BATCH = 256;
    /** incoming/ is read this many names at a time, each batch taken oldest first. */
    private static final int INCOMING_BATCH = 1024;

    private final Spool spool;
    /** Read at each use: a reload may replace them. */
    private final java.util.function.Supplier<QmgrSettings> settings;
    private final Clock clock;
    private final MailLog log;
    private final IntSupplier activeCount;
    private final Consumer<Path> activate;
    private final Runnable onDeferredScan;
    private final Object signal = new Object();
    private volatile boolean woken;
    private volatile boolean flushRequested;
    private volatile boolean running;
    /** A scan stopped for lack of room in the active queue: a message leaving wakes us. */
    private volatile boolean waitingForRoom;
    private Thread thread;
    // Scanner thread only:
    private Spool.Scan deferred;
    private boolean deferredFlush;

    /** {@code onDeferredScan}: run as each deferred scan starts (housekeeping at queue_run_delay pace). */
    QueueScanner(Spool spool, java.util.function.Supplier<QmgrSettings> settings, Clock clock, MailLog log, IntSupplier activeCount,
                 Consumer<Path> activate, Runnable onDeferredScan) {
        this.spool = spool;
        this.settings = settings;
        this.clock = clock;
        this.log = log;
        this.activeCount = activeCount;
        this.activate = activate;
        this.onDeferredScan = onDeferredScan;
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

    /** Every deferred file is taken by a new scan, due or not. */
    void flush() {
        flushRequested = true;
        wake();
    }

    /** A message left the active queue: if a scan stopped for lack of room, go on. */
    void roomMade() {
        if (waitingForRoom) {
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
                waitingForRoom = false;
                feedIncoming();
                Instant now = clock.instant();
                boolean flush = flushRequested;
                if (flush || (deferred == null && !now.isBefore(nextDeferredScan))) {
                    flushRequested = false;
                    openDeferredScan(flush);
                    nextDeferredScan = now.plus(settings.get().queueRunDelay());
                }
                boolean more = deferred != null && feedDeferred(now);
                synchronized (signal) {
                    if (!woken && running && !more) {
                        signal.wait(Math.max(10, Math.min(1000, settings.get().queueRunDelay().toMillis())));
                    }
                    woken = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (IOException | RuntimeException e) {
                log.warning("qmgr", "queue scan failed: " + e);
                closeDeferredScan();
                pause();
            }
        }
        closeDeferredScan();
    }

    private boolean roomInActive() {
        if (!running) {
            return false;
        }
        if (activeCount.getAsInt() < settings.get().messageActiveLimit()) {
            return true;
        }
        waitingForRoom = true; // then look again: a message that left in between must not be missed
        return activeCount.getAsInt() < settings.get().messageActiveLimit();
    }

    /** incoming/ in batches (each oldest first), while the active queue has room. */
    private void feedIncoming() throws IOException {
        List<Path> batch = new ArrayList<>();
        try (Spool.Scan incoming = spool.scan(Spool.Queue.INCOMING)) {
            while (true) {
                batch.clear();
                for (Path f; batch.size() < INCOMING_BATCH && (f = incoming.next()) != null; ) {
                    batch.add(f);
                }
                if (batch.isEmpty()) {
                    return;
                }
                batch.sort(null);
                for (Path f : batch) {
                    if (!roomInActive()) {
                        return;
                    }
                    activate.accept(f);
                }
            }
        }
    }

    private void openDeferredScan(boolean flush) throws IOException {
        closeDeferredScan(); // a flush starts over, taking everything
        onDeferredScan.run();
        deferred = spool.scan(Spool.Queue.DEFERRED);
        deferredFlush = flush;
    }

    /**
     * One step of the deferred walk: up to {@link #BATCH} names, the due ones activated. True when
     * there is more to walk now; false when the walk ended or waits for room in the active queue.
     */
    private boolean feedDeferred(Instant now) throws IOException {
        for (int i = 0; i < BATCH; i++) {
            if (!roomInActive()) {
                return false;
            }
            Path f = deferred.next();
            if (f == null) {
                closeDeferredScan();
                return false;
            }
            if (deferredFlush || !spool.nextAttempt(f).isAfter(now)) {
                activate.accept(f);
            }
        }
        return true;
    }

    private void closeDeferredScan() {
        if (deferred != null) {
            deferred.close();
            deferred = null;
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

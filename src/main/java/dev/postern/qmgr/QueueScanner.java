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
 * million objects. incoming/ is a cursor too. The two take turns, one message each (Postfix's
 * qmgr_loop), so a deferred backlog is not starved by a steady flow of new mail, nor new mail
 * held up by a long deferred walk. When the active queue is full both cursors stay where they
 * are and resume as messages leave (as Postfix's scan context does), instead of starting over.
 */
final class QueueScanner {
    /** Names looked at per step of the deferred walk before incoming/ gets another look. */
    static final int BATCH = 256;
    /**
     * The longest wait without a look at incoming/: for mail that arrived without a wake-up (an
     * operator's request when its trigger directory cannot be watched). As Postfix's pickup wakeup.
     */
    static final long SAFETY_NET_MILLIS = 60_000;
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
    /** Set by every wake: a finished incoming pass is started again, even in the middle of a deferred walk. */
    private volatile boolean newMail;
    /** Taken with getAndSet: a flush asked for while the loop starts a scheduled scan is never lost. */
    private final java.util.concurrent.atomic.AtomicBoolean flushRequested = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean running;
    /** A scan stopped for lack of room in the active queue: a message leaving wakes us. */
    private volatile boolean waitingForRoom;
    private Thread thread;
    // Scanner thread only:
    private Spool.Scan deferred;
    private boolean deferredFlush;
    private Spool.Scan incoming;
    /** Deferred names one {@link #feed} may still look at (stat) before returning to the loop. */
    private int deferredNamesLeft;
    /** Whose turn it is for the next free slot in the active queue. */
    private boolean incomingsTurn = true;
    private final java.util.ArrayDeque<Path> incomingBatch = new java.util.ArrayDeque<>();
    /** The loop's waits so far and the last one's timeout (written by the scanner thread only; tests). */
    private volatile long waits;
    private volatile long lastWaitMillis;

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
        newMail = true;
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    /** Every deferred file is taken by a new scan, due or not. */
    void flush() {
        flushRequested.set(true);
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

    /** How many times the loop has gone to sleep (tests). */
    long waits() {
        return waits;
    }

    /** The timeout of the loop's last sleep, in milliseconds (tests: a wait that is not a spin). */
    long lastWaitMillis() {
        return lastWaitMillis;
    }

    private void loop() {
        Instant nextDeferredScan = Instant.MIN;
        while (running) {
            boolean flush = false;
            try {
                waitingForRoom = false;
                Instant now = clock.instant();
                flush = flushRequested.getAndSet(false);
                if (flush || (deferred == null && !now.isBefore(nextDeferredScan))) {
                    openDeferredScan(flush);
                    nextDeferredScan = now.plus(settings.get().queueRunDelay());
                }
                newMail = true; // each round of the loop starts a new incoming pass once the last one ended
                boolean more = feed(now);
                synchronized (signal) {
                    if (!woken && running && !more) {
                        // Until the next deferred scan: new mail, flushes, room in the active queue and
                        // operator requests all wake the loop; an idle daemon is not woken every second
                        // to look at an empty incoming/ (at most SAFETY_NET apart, for a wake-up missed).
                        // A deferred walk under way stopped for room only: a message leaving wakes it
                        // (its next scan may be due already, which must not make this a 10 ms spin).
                        long untilScan = deferred != null ? SAFETY_NET_MILLIS
                                : java.time.Duration.between(clock.instant(), nextDeferredScan).toMillis();
                        lastWaitMillis = Math.max(10, Math.min(SAFETY_NET_MILLIS, untilScan));
                        waits++;
                        signal.wait(lastWaitMillis);
                    }
                    woken = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (IOException | RuntimeException e) {
                log.warning("qmgr", "queue scan failed: " + e);
                if (flush) {
                    flushRequested.set(true); // the flush this round took is not lost with it
                }
                closeScans();
                pause();
            }
        }
        closeScans();
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

    /**
     * Postfix's qmgr_loop: while the active queue has room, one message from incoming/, then one
     * due message from deferred/, in turn (whose turn it is survives a full active queue, so one
     * freed slot at a time still alternates), so neither a steady flow of new mail starves a
     * deferred backlog (a flush, a destination that came back) nor the reverse. Returns after
     * {@link #BATCH} turns (so a flush or a stop is seen) with true when either queue may have
     * more now; false when both are walked to the end or the active queue is full.
     */
    private boolean feed(Instant now) throws IOException {
        deferredNamesLeft = BATCH * 4;
        for (int turn = 0; turn < BATCH; turn++) {
            if (!roomInActive()) {
                return false;
            }
            Path next = incomingsTurn ? nextIncoming() : nextDueDeferred(now);
            if (next == null) {
                next = incomingsTurn ? nextDueDeferred(now) : nextIncoming();
            } else {
                incomingsTurn = !incomingsTurn;
            }
            if (next != null) {
                activate.accept(next);
            } else if (incoming == null && incomingBatch.isEmpty() && deferred == null) {
                return false; // incoming/ walked to its end, no deferred walk under way
            } else if (deferredNamesLeft <= 0) {
                return true; // a long stretch of mail not due: let the loop look at flushes and stops
            }
        }
        return true;
    }

    /** The next name of the incoming pass, read {@link #INCOMING_BATCH} at a time, each batch oldest first; null at its end. */
    private Path nextIncoming() throws IOException {
        if (incomingBatch.isEmpty() && incoming == null && newMail) {
            newMail = false;
            incoming = spool.scan(Spool.Queue.INCOMING); // a new pass sees what arrived since the last
        }
        if (incomingBatch.isEmpty() && incoming != null) {
            List<Path> batch = new ArrayList<>();
            for (Path f; batch.size() < INCOMING_BATCH && (f = incoming.next()) != null; ) {
                batch.add(f);
            }
            if (batch.size() < INCOMING_BATCH) {
                incoming.close(); // walked to the end: the next pass opens a new one
                incoming = null;
            }
            batch.sort(null);
            incomingBatch.addAll(batch);
        }
        return incomingBatch.pollFirst();
    }

    /**
     * The next due file of the deferred walk, looking at up to {@link #BATCH} names; null when
     * none of them was due (the walk goes on at the next turn) or the walk ended.
     */
    private Path nextDueDeferred(Instant now) throws IOException {
        for (int i = 0; deferred != null && i < BATCH && deferredNamesLeft > 0; i++) {
            deferredNamesLeft--;
            Path f = deferred.next();
            if (f == null) {
                closeDeferredScan();
                return null;
            }
            if (deferredFlush || !spool.nextAttempt(f).isAfter(now)) {
                return f;
            }
        }
        return null;
    }

    private void openDeferredScan(boolean flush) throws IOException {
        closeDeferredScan(); // a flush starts over, taking everything
        onDeferredScan.run();
        deferred = spool.scan(Spool.Queue.DEFERRED);
        deferredFlush = flush;
    }

    private void closeDeferredScan() {
        if (deferred != null) {
            deferred.close();
            deferred = null;
        }
    }

    private void closeScans() {
        closeDeferredScan();
        if (incoming != null) {
            incoming.close();
            incoming = null;
        }
        incomingBatch.clear();
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

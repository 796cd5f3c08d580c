package dev.postern.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Where mail log lines go. {@link #direct} writes and flushes each line in the caller's thread
 * (tests, one-shot commands). {@link #async} hands lines to a dedicated writer thread through a
 * bounded queue, so an event loop that logs never waits for the disk: the writer takes whatever
 * has queued up, writes it with one buffered write and flushes once per batch. After each batch
 * the writer rests {@link Async#LINGER_MILLIS} before looking again, so under load it wakes up
 * at most ~20 times a second instead of once per line (each wake-up cost the logging thread a
 * futex call and the writer a context switch and a write: ~4 per message at 1 msg/connection);
 * a line after a quiet spell is still written at once. When the queue is
 * full (the disk cannot keep up) a line is dropped rather than blocking the caller; drops are
 * counted and the count itself is logged, so nothing disappears silently.
 */
abstract class LogWriter implements AutoCloseable {
    abstract void write(byte[] line);

    /** Writes everything accepted so far, then stops. */
    @Override
    public abstract void close();

    static LogWriter direct(LogSink out) {
        return new Direct(out);
    }

    /** {@code dropNotice} formats the warning line for n dropped lines. */
    static LogWriter async(LogSink out, int capacity, Function<Long, byte[]> dropNotice) {
        return new Async(out, capacity, dropNotice);
    }

    private static void report(IOException e) {
        // The mail log must never take the mail system down.
        System.err.println("postern: cannot write mail log: " + e.getMessage());
    }

    private static final class Direct extends LogWriter {
        private final LogSink out;

        Direct(LogSink out) {
            this.out = out;
        }

        @Override
        synchronized void write(byte[] line) {
            try {
                out.tick();
                out.write(line);
                out.flush();
            } catch (IOException e) {
                report(e);
            }
        }

        @Override
        public synchronized void close() {
            try {
                out.close();
            } catch (IOException e) {
                report(e);
            }
        }
    }

    static final class Async extends LogWriter {
        private static final byte[] STOP = new byte[0];
        private static final int BATCH = 1024;
        /**
         * Rest after each batch. While the writer sleeps (rather than waits on the queue) an offer
         * signals nobody, so lines arriving meanwhile cost no wake-up. 50 ms of log latency under
         * load; at 16,384 lines of queue that allows ~300,000 lines/s before a line is dropped.
         */
        static final long LINGER_MILLIS = 50;

        private final LogSink out;
        // Lock-free on the callers' side: an event loop that logs never waits for a lock (an
        // ArrayBlockingQueue's offer parked on its lock while the writer drained, BlockHound saw it).
        private final ConcurrentLinkedQueue<byte[]> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final int capacity;
        private volatile boolean writerParked;
        private final Function<Long, byte[]> dropNotice;
        private final AtomicLong dropped = new AtomicLong();
        private final Thread thread;
        private volatile boolean closed;

        private long lastTick = System.nanoTime();
        /** The sink tells of a change (a rotation) itself: the writer waits for lines without a timeout. */
        private final boolean watched;
        /** Set by the sink's watch: tick before anything else, whatever the time. */
        private volatile boolean recheck;

        Async(LogSink out, int capacity, Function<Long, byte[]> dropNotice) {
            this.out = out;
            this.capacity = capacity;
            this.dropNotice = dropNotice;
            this.thread = new Thread(this::run, "maillog");
            thread.setDaemon(true);
            this.watched = out.watch(() -> {
                recheck = true;
                LockSupport.unpark(thread);
            });
            thread.start();
        }

        @Override
        void write(byte[] line) {
            if (closed || !enqueue(line)) {
                dropped.incrementAndGet();
            }
        }

        private boolean enqueue(byte[] line) {
            if (queued.incrementAndGet() > capacity) {
                queued.decrementAndGet();
                return false;
            }
            queue.add(line);
            if (writerParked) {
                LockSupport.unpark(thread); // never blocks
            }
            return true;
        }

        /**
         * The next line (writer thread only), waiting for one as long as it takes when the sink
         * watches for rotation itself (an idle daemon's log thread is then not woken), else up to a
         * second, so that {@link #tick()} looks. Null when none came.
         */
        private byte[] take() throws InterruptedException {
            byte[] line = queue.poll();
            if (line == null) {
                writerParked = true;
                line = queue.poll(); // a line added before the flag was seen set is not missed
                if (line == null) {
                    if (watched) {
                        LockSupport.park(this);
                    } else {
                        LockSupport.parkNanos(this, 1_000_000_000L);
                    }
                    line = queue.poll();
                }
                writerParked = false;
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
            }
            if (line != null) {
                queued.decrementAndGet();
            }
            return line;
        }

        private void drainTo(List<byte[]> batch, int max) {
            byte[] line;
            while (batch.size() < max && (line = queue.poll()) != null) {
                queued.decrementAndGet();
                batch.add(line);
            }
        }

        private void run() {
            List<byte[]> batch = new ArrayList<>(BATCH);
            boolean stopping = false;
            while (!stopping) {
                try {
                    byte[] first = take();
                    tick();
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                } catch (InterruptedException e) {
                    stopping = true;
                }
                drainTo(batch, BATCH);
                try {
                    for (byte[] line : batch) {
                        if (line == STOP) {
                            stopping = true;
                        } else {
                            out.write(line);
                        }
                    }
                    long lost = dropped.getAndSet(0);
                    if (lost > 0) {
                        out.write(dropNotice.apply(lost));
                    }
                    out.flush();
                } catch (IOException e) {
                    report(e);
                }
                batch.clear();
                if (!stopping) {
                    try {
                        Thread.sleep(LINGER_MILLIS);
                    } catch (InterruptedException e) {
                        stopping = true;
                    }
                }
            }
        }

        /** At most once a second: lets a file sink notice rotation without a stat per batch. */
        private void tick() {
            long now = System.nanoTime();
            if (recheck || now - lastTick >= 1_000_000_000L) {
                recheck = false;
                lastTick = now;
                out.tick();
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                queue.add(STOP); // beyond the capacity: the writer must see it
                queued.incrementAndGet();
                LockSupport.unpark(thread);
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!thread.isAlive()) { // lines that raced with close: written here, in order
                List<byte[]> rest = new ArrayList<>();
                drainTo(rest, Integer.MAX_VALUE);
                try {
                    for (byte[] line : rest) {
                        out.write(line);
                    }
                    out.flush();
                } catch (IOException e) {
                    report(e);
                }
                try {
                    out.close();
                } catch (IOException e) {
                    report(e);
                }
            }
        }
    }
}

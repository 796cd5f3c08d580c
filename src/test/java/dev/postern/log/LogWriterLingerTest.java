package dev.postern.log;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The async mail log writer batches a steady trickle of lines (one per millisecond, as a loaded
 * daemon logs) into few writes instead of waking up for each line, and still writes every line,
 * in order; the first line after a quiet spell is written without waiting for the linger.
 */
class LogWriterLingerTest {
    /** Counts flushes: the async writer flushes once per batch, so flushes = wake-ups that wrote. */
    private static final class CountingOut implements LogSink {
        final AtomicInteger flushes = new AtomicInteger();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(byte[] record) {
            bytes.writeBytes(record);
        }

        @Override
        public void flush() {
            flushes.incrementAndGet();
        }

        @Override
        public void close() {
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.US_ASCII);
        }
    }

    @Test
    void aTrickleOfLinesIsWrittenInFewBatchesCompleteAndInOrder() {
        CountingOut out = new CountingOut();
        LogWriter w = LogWriter.async(out, 16_384, n -> ("dropped " + n + "\n").getBytes(StandardCharsets.US_ASCII));
        int lines = 300;
        long start = System.nanoTime();
        for (int i = 0; i < lines; i++) {
            w.write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the trickle, not a wait for a result
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        w.close();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            expected.append("line ").append(i).append('\n');
        }
        assertEquals(expected.toString(), out.text());
        // Without the linger the writer woke up for nearly every line (~300 flushes); with it, at
        // most one batch per LINGER_MILLIS of the trickle, plus the first line and the close.
        long bound = millis / LogWriter.Async.LINGER_MILLIS + 3;
        assertTrue(out.flushes.get() <= bound, out.flushes.get() + " flushes for " + lines + " lines over " + millis
                + " ms; at most " + bound + " expected");
    }

    @Test
    void theFirstLineAfterAQuietSpellIsWrittenAtOnce() {
        CountingOut out = new CountingOut();
        LogWriter w = LogWriter.async(out, 16, n -> new byte[0]);
        try {
            w.write("first\n".getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!out.text().equals("first\n") && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            assertEquals("first\n", out.text());
        } finally {
            w.close();
        }
    }
}

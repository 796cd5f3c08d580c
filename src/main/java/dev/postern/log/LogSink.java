package dev.postern.log;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where formatted records end up: a stream (stdout of start-fg, tests), a file that follows
 * renames ({@link FileSink}), or the local syslog socket ({@link SyslogSink}). Each
 * {@link #write} gets one whole record, so a datagram sink sends one datagram per record. Used by
 * one thread at a time ({@link LogWriter} serialises).
 */
interface LogSink extends AutoCloseable {
    void write(byte[] record) throws IOException;

    /** Makes what was written visible to readers. */
    void flush() throws IOException;

    /**
     * Called by the writer at most about once a second before a write, and when {@link #watch}'s
     * callback asked for it: a file sink checks for rotation here.
     */
    default void tick() {
    }

    /**
     * Calls {@code changed} (on another thread) when the sink should {@link #tick()} although
     * nothing is written: a file sink's file was renamed or removed. False when the sink cannot
     * watch (or has nothing to watch): the writer then ticks once a second, idle or not.
     */
    default boolean watch(Runnable changed) {
        return false;
    }

    @Override
    void close() throws IOException;

    static LogSink of(OutputStream stream) {
        OutputStream out = new java.io.BufferedOutputStream(stream, 64 * 1024);
        return new LogSink() {
            @Override
            public void write(byte[] record) throws IOException {
                out.write(record);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }

            @Override
            public void close() throws IOException {
                out.flush(); // stdout (or a caller's stream) stays open: it is not ours
            }
        };
    }
}

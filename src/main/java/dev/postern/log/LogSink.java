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

    /** Called by the writer about once a second, even when idle: a file sink checks for rotation here. */
    default void tick() {
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

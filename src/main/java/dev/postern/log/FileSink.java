package dev.postern.log;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The maillog_file, reopened when it is renamed or removed. {@code postern log rotate} (like
 * {@code postfix logrotate}) and logrotate(8) without copytruncate both rename the file; the
 * writer notices at once (an inotify watch on the directory, {@link #watch}; where there is none,
 * within a second, {@link #tick}) and continues in a new file at the configured path. The old
 * file is closed before the new one is created, so once the new file exists no further line
 * reaches the old one and it can be compressed safely.
 */
final class FileSink implements LogSink {
    private final Path path;
    private OutputStream out;
    private Object fileKey;
    private java.nio.file.WatchService watcher;

    FileSink(Path path) throws IOException {
        this.path = path;
        open();
    }

    private void open() throws IOException {
        if (path.getParent() != null) {
            Files.createDirectories(path.getParent());
        }
        out = new BufferedOutputStream(Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND), 64 * 1024);
        fileKey = key();
    }

    private Object key() throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    }

    @Override
    public void write(byte[] record) throws IOException {
        if (out == null) {
            open(); // a reopen failed earlier (directory gone, disk full): try again
        }
        out.write(record);
    }

    @Override
    public void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    @Override
    public void tick() {
        Object now;
        try {
            now = key();
        } catch (NoSuchFileException e) {
            now = null;
        } catch (IOException e) {
            return;
        }
        if (out != null && Objects.equals(now, fileKey)) {
            return;
        }
        try {
            closeStream();
            open();
        } catch (IOException e) {
            System.err.println("postern: cannot reopen mail log " + path + ": " + e.getMessage());
        }
    }

    /**
     * Watches the directory for the file's rename or removal (one JDK watch thread that sleeps in
     * poll(2) between events: an idle daemon is not woken to look for a rotation).
     */
    @Override
    public boolean watch(Runnable changed) {
        Path dir = path.toAbsolutePath().getParent();
        Path name = path.getFileName();
        java.nio.file.WatchService ws;
        try {
            ws = dir.getFileSystem().newWatchService();
            dir.register(ws, java.nio.file.StandardWatchEventKinds.ENTRY_DELETE); // inotify's IN_DELETE and IN_MOVED_FROM
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
        watcher = ws;
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    java.nio.file.WatchKey key = ws.take();
                    boolean ours = false;
                    for (java.nio.file.WatchEvent<?> e : key.pollEvents()) {
                        // OVERFLOW: events were lost, ours may be among them
                        ours |= e.kind() == java.nio.file.StandardWatchEventKinds.OVERFLOW || name.equals(e.context());
                    }
                    if (ours) {
                        changed.run();
                    }
                    if (!key.reset()) {
                        return; // the directory itself is gone: writes reopen (and recreate it)
                    }
                }
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException e) {
                // closing
            }
        }, "maillog-watch");
        t.setDaemon(true);
        t.start();
        return true;
    }

    @Override
    public void close() throws IOException {
        if (watcher != null) {
            watcher.close();
        }
        closeStream();
    }

    private void closeStream() throws IOException {
        OutputStream o = out;
        out = null;
        if (o != null) {
            o.close();
        }
    }
}

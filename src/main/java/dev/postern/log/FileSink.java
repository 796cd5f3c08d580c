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
 * writer notices within a second ({@link #tick}) and continues in a new file at the configured
 * path. The old file is closed before the new one is created, so once the new file exists no
 * further line reaches the old one and it can be compressed safely.
 */
final class FileSink implements LogSink {
    private final Path path;
    private OutputStream out;
    private Object fileKey;

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
            close();
            open();
        } catch (IOException e) {
            System.err.println("postern: cannot reopen mail log " + path + ": " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        OutputStream o = out;
        out = null;
        if (o != null) {
            o.close();
        }
    }
}

package dev.postern.server;

import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code $queue_directory/pid/master.pid}: written when every listener accepts connections, removed
 * at a clean stop. A stale file (process gone) counts as "not running".
 */
public final class PidFile {
    private final Path file;

    public PidFile(Path queueDirectory) {
        this.file = queueDirectory.resolve("pid").resolve("master.pid");
    }

    public Path path() {
        return file;
    }

    public void write(long pid) throws IOException {
        Files.createDirectories(file.getParent());
        AtomicFile.write(file, (pid + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    public void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // A stale pid file is recognised as such by running().
        }
    }

    /** The live process named by the pid file, if any. */
    public Optional<ProcessHandle> running() {
        try {
            long pid = Long.parseLong(Files.readString(file).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}

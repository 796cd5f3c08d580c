package dev.postern.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code $queue_directory/pid/master.pid}, as Postfix's: the daemon holds an exclusive lock on it
 * for its whole life, and the lock, not the number in the file, says whether it runs. The kernel
 * drops the lock when the process dies, even by {@code kill -9}, so a start right after a crash
 * works at once, and a recycled pid in a stale file fools nobody. The file holds
 * {@code PID starting} from the lock until every listener accepts connections, then {@code PID}.
 * It is never deleted (only emptied at a clean stop): deleting a locked file would let two
 * starters lock two different files.
 *
 * <p>POSIX locks belong to the process and are dropped when the process closes <em>any</em>
 * descriptor of the file, so the process holding the lock never opens the file again; it answers
 * from {@link #HELD_HERE} instead (in-process servers in tests, a status asked from inside).
 */
public final class PidFile {
    /** The process that holds the lock, as written by it. {@code ready}: all listeners accept. */
    public record Holder(long pid, boolean ready) {
    }

    private static final Map<Path, Holder> HELD_HERE = new ConcurrentHashMap<>();

    private final Path file;
    private FileChannel channel;
    private FileLock lock;

    public PidFile(Path queueDirectory) {
        this.file = queueDirectory.resolve("pid").resolve("master.pid").toAbsolutePath().normalize();
    }

    public Path path() {
        return file;
    }

    /**
     * Takes the exclusive lock for this process's life and writes {@code PID starting}.
     * @return empty on success, else who holds it
     */
    public synchronized Optional<Holder> lock() throws IOException {
        if (lock != null) {
            return Optional.empty();
        }
        Holder here = HELD_HERE.get(file);
        if (here != null) {
            return Optional.of(here);
        }
        Files.createDirectories(file.getParent());
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            Optional<Holder> other = readHolder(ch);
            ch.close();
            return Optional.of(other.orElse(new Holder(-1, false)));
        }
        channel = ch;
        lock = l;
        long pid = ProcessHandle.current().pid();
        HELD_HERE.put(file, new Holder(pid, false));
        writeContent(pid + " starting\n");
        return Optional.empty();
    }

    /** Every listener accepts connections: the file now names this process alone (what start waits for). */
    public synchronized void write(long pid) throws IOException {
        if (lock == null) {
            Optional<Holder> other = lock();
            if (other.isPresent()) {
                throw new IOException("the mail system is already running (pid " + other.get().pid() + ")");
            }
        }
        writeContent(pid + "\n");
        HELD_HERE.put(file, new Holder(pid, true));
    }

    private void writeContent(String s) throws IOException {
        channel.truncate(0);
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
        long pos = 0;
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
        channel.force(false);
    }

    /** A clean stop: empties the file and releases the lock. */
    public synchronized void delete() {
        if (lock == null) {
            return; // not ours: never touch another process's pid file
        }
        try {
            channel.truncate(0);
            lock.release();
            channel.close();
        } catch (IOException ignored) {
            // the process ends soon; the kernel drops the lock then
        }
        HELD_HERE.remove(file);
        lock = null;
        channel = null;
    }

    /** Who holds the lock, if anyone: a process that is running (or starting). */
    public Optional<Holder> holder() {
        Holder here = HELD_HERE.get(file);
        if (here != null) {
            return Optional.of(here);
        }
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock probe;
            try {
                probe = ch.tryLock(0, Long.MAX_VALUE, true);
            } catch (OverlappingFileLockException e) {
                probe = null; // another PidFile of this JVM holds it (between lock() and HELD_HERE)
            }
            if (probe != null) {
                probe.release();
                return Optional.empty(); // nobody holds it: whatever pid the file names is stale
            }
            return Optional.of(readHolder(ch).orElse(new Holder(-1, false)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The running (ready) process, judged by the lock. */
    public Optional<ProcessHandle> running() {
        return holder().filter(Holder::ready).flatMap(h -> ProcessHandle.of(h.pid()));
    }

    private static Optional<Holder> readHolder(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(64);
        ch.read(b, 0);
        String s = new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).trim();
        String[] f = s.split("\\s+");
        try {
            return Optional.of(new Holder(Long.parseLong(f[0]), f.length == 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}

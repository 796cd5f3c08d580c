package dev.postern.queue;

import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Group commit for the last step of a queue file commit: renames of already fsync'd temp files
 * into one directory, then ONE fsync of that directory for the whole batch. No future completes
 * before the directory fsync that covers its own rename, so a 250 is never early; under load many
 * commits share one directory fsync.
 */
final class GroupCommitter implements AutoCloseable {
    private record Request(Path temp, Path target, CompletableFuture<Void> done) {
    }

    /** Wakes the thread for {@link #close()}: it waits for requests without a timeout, so an idle spool costs no wake-ups. */
    private static final Request STOP = new Request(null, null, null);

    /** fsync of a directory; a parameter so a test can see that no commit completes before it. */
    interface DirectorySync {
        void sync(Path directory) throws IOException;
    }

    private final Path directory;
    private final DirectorySync dirSync;
    private final LinkedBlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    GroupCommitter(Path directory) {
        this(directory, AtomicFile::fsyncDirectory);
    }

    GroupCommitter(Path directory, DirectorySync dirSync) {
        this.directory = directory;
        this.dirSync = dirSync;
        this.thread = new Thread(this::loop, "spool-commit");
        thread.setDaemon(true);
        thread.start();
    }

    CompletableFuture<Void> rename(Path temp, Path target) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(new IOException("spool is shutting down"));
            return f;
        }
        requests.add(new Request(temp, target, f));
        return f;
    }

    private void loop() {
        List<Request> batch = new ArrayList<>();
        while (running || !requests.isEmpty()) {
            try {
                batch.add(requests.take());
                requests.drainTo(batch);
                List<Request> renamed = new ArrayList<>();
                for (Request r : batch) {
                    if (r == STOP) {
                        continue; // the loop's condition decides
                    }
                    try {
                        Files.move(r.temp(), r.target(), StandardCopyOption.ATOMIC_MOVE);
                        renamed.add(r);
                    } catch (IOException e) {
                        r.done().completeExceptionally(e);
                    }
                }
                try {
                    if (renamed.isEmpty()) {
                        continue;
                    }
                    dirSync.sync(directory);
                    renamed.forEach(r -> r.done().complete(null));
                } catch (IOException e) {
                    // The renames may not be durable: fail them all; the files stay and are
                    // delivered after all, but the client was told to retry (a duplicate, not a loss).
                    renamed.forEach(r -> r.done().completeExceptionally(e));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
    }

    @Override
    public void close() {
        running = false;
        requests.add(STOP);
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Request r;
        while ((r = requests.poll()) != null) {
            if (r == STOP) {
                continue;
            }
            r.done().completeExceptionally(new IOException("spool closed"));
        }
    }
}

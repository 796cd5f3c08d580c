package dev.postern.queue;

import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * How the queue tools and a running daemon agree without a lock or a socket, using only atomic
 * renames:
 * <ul>
 * <li>{@code request/ID} holds an operator's verb ({@code hold}, {@code delete}, {@code requeue})
 * for a message that was in {@code active/} (being delivered) when the tool ran: the tool cannot
 * move it then. Whoever renames the request file away first owns it: the daemon when the
 * delivery attempt ends with mail still queued ({@link Spool#defer}), or the tool when it sees
 * the message has left active/ meanwhile. So a request is applied exactly once, or (the message
 * was delivered) dropped.</li>
 * <li>{@code trigger/*}: any file created there wakes the running daemon's queue manager (a
 * watch on the directory), like Postfix's qmgr FIFO; a stopped daemon finds them at start.</li>
 * </ul>
 */
final class OperatorRequests {
    enum Verb { HOLD, DELETE, REQUEUE }

    private final Path requests;
    private final Path triggers;

    OperatorRequests(Path queueDirectory) {
        this.requests = queueDirectory.resolve("request");
        this.triggers = queueDirectory.resolve("trigger");
    }

    Path triggerDirectory() {
        return triggers;
    }

    static void createDirectories(Path queueDirectory) throws IOException {
        for (String d : new String[] {"request", "trigger"}) {
            Path p = queueDirectory.resolve(d);
            Files.createDirectories(p);
            Spool.ownerOnly(p, "rwx------");
        }
    }

    /** Leaves a request for a message being delivered (replacing an earlier one for it). */
    void post(String id, Verb verb) throws IOException {
        AtomicFile.write(requests.resolve(id), verb.name().toLowerCase().getBytes(StandardCharsets.US_ASCII));
    }

    boolean pending(String id) {
        return Files.exists(requests.resolve(id));
    }

    /** Takes the request for {@code id}, if any: after this, nobody else will act on it. */
    Optional<Verb> claim(String id) {
        Path claimed = requests.resolve(".claim-" + id + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.move(requests.resolve(id), claimed, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
        try {
            String verb = Files.readString(claimed, StandardCharsets.US_ASCII).trim().toUpperCase();
            Files.deleteIfExists(claimed);
            return Optional.of(Verb.valueOf(verb));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** IDs with a pending request. */
    java.util.List<String> pendingIds() throws IOException {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(requests)) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (!n.startsWith(".")) {
                    out.add(n);
                } else if (n.startsWith(".claim-") && Files.getLastModifiedTime(f).toInstant()
                        .isBefore(java.time.Instant.now().minusSeconds(600))) {
                    Files.deleteIfExists(f); // a claimer that died before finishing; its message is still queued
                }
            }
        }
        return out;
    }

    /** Wakes the running daemon (if any). */
    void trigger(String what) throws IOException {
        Files.writeString(triggers.resolve(what + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime()), what);
    }

    /** Deletes the trigger files seen so far; returns their kinds ("flush", "wake", ...). */
    java.util.Set<String> drainTriggers() {
        java.util.Set<String> kinds = new java.util.HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(triggers)) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                kinds.add(n.contains("-") ? n.substring(0, n.indexOf('-')) : n);
                Files.deleteIfExists(f);
            }
        } catch (IOException ignored) {
            // the next trigger or the periodic scan catches up
        }
        return kinds;
    }

    /**
     * A thread that runs {@code flush} for a flush trigger, {@code revive} for a site flush
     * ({@code site}: forget dead destinations, then scan incoming/) and {@code wake} for any other when a
     * file appears in trigger/ (inotify); null when none can watch.
     */
    Thread watch(Runnable wake, Runnable flush, Runnable revive, Spool.Events events) {
        java.nio.file.WatchService ws;
        try {
            ws = triggers.getFileSystem().newWatchService();
            triggers.register(ws, java.nio.file.StandardWatchEventKinds.ENTRY_CREATE);
        } catch (IOException e) {
            events.warning("cannot watch " + triggers + " (" + e.getMessage() + "): queue flush waits for the next queue scan");
            return null;
        }
        Thread t = new Thread(() -> {
            try (ws) {
                while (!Thread.currentThread().isInterrupted()) {
                    java.nio.file.WatchKey key = ws.take();
                    key.pollEvents();
                    key.reset();
                    java.util.Set<String> kinds = drainTriggers();
                    if (kinds.contains("flush")) {
                        flush.run();
                    } else if (kinds.contains("site")) {
                        revive.run(); // postqueue -s: dead marks forgotten, then incoming/ scanned
                    } else if (!kinds.isEmpty()) {
                        wake.run();
                    }
                }
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException | IOException e) {
                // closing
            }
        }, "spool-trigger");
        t.setDaemon(true);
        t.start();
        return t;
    }
}

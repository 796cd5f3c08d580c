package dev.postern.pickup;

import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupTransaction;
import dev.postern.cleanup.Envelope;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;
import dev.postern.mail.SmtpException;
import dev.postern.util.AtomicFile;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * pickup - local mail pickup: moves what sendmail left in {@code maildrop/} into the queue through
 * cleanup, like Postfix's pickup(8). One thread, woken by the file system and by a periodic scan.
 * A maildrop file is deleted only after cleanup's commit (queue file and directory fsync'd), so a
 * crash in between delivers a message twice at worst, never zero times.
 */
public final class Pickup implements AutoCloseable {
    /** How long a file that hit a temporary cleanup error waits before the next try. */
    private static final long RETRY_MILLIS = 10_000;

    private final PickupSettings settings;
    private final Maildrop maildrop;
    private final Cleanup cleanup;
    private final MailLog log;
    private final WatchService watch;
    private final Thread thread;
    private final Map<Path, Long> retryAt = new HashMap<>();
    private volatile boolean running = true;

    private Pickup(PickupSettings settings, Cleanup cleanup, MailLog log) throws IOException {
        this.settings = settings;
        this.maildrop = new Maildrop(settings.queueDirectory());
        this.cleanup = cleanup;
        this.log = log;
        maildrop.create();
        this.watch = FileSystems.getDefault().newWatchService();
        maildrop.directory().register(watch, StandardWatchEventKinds.ENTRY_CREATE);
        this.thread = new Thread(this::loop, "pickup");
        thread.setDaemon(true);
    }

    /** Creates maildrop/ if needed and starts picking up, beginning with what waited while the daemon was down. */
    public static Pickup start(PickupSettings settings, Cleanup cleanup, MailLog log) throws IOException {
        Pickup p = new Pickup(settings, cleanup, log);
        p.thread.start();
        return p;
    }

    private void loop() {
        while (running) {
            try {
                scan();
            } catch (RuntimeException e) {
                // Never let one bad surprise stop local mail for the daemon's lifetime.
                log.warning("pickup", "scan failed, retrying: " + e);
            }
            try {
                WatchKey key = watch.poll(settings.scanInterval().toMillis(), TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
        }
    }

    /** One pass over maildrop/, oldest first. Package-private for tests. */
    void scan() {
        List<Path> files;
        try {
            files = maildrop.ready();
        } catch (IOException e) {
            log.warning("pickup", "cannot list " + maildrop.directory() + ": " + e.getMessage());
            return;
        }
        long now = System.currentTimeMillis();
        retryAt.keySet().retainAll(files);
        for (Path f : files) {
            if (!running) {
                return;
            }
            if (retryAt.getOrDefault(f, 0L) <= now) {
                pickUp(f);
            }
        }
    }

    private void pickUp(Path file) {
        String name = "maildrop/" + file.getFileName();
        byte[] bytes;
        long uid;
        Instant arrival;
        try {
            bytes = Files.readAllBytes(file);
            uid = ((Number) Files.getAttribute(file, "unix:uid")).longValue();
            arrival = Files.getLastModifiedTime(file).toInstant();
        } catch (NoSuchFileException gone) {
            return;
        } catch (IOException | UnsupportedOperationException e) {
            log.warning("pickup", name + ": cannot read: " + e.getMessage());
            retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
            return;
        }
        MaildropFile m;
        ReversePath sender;
        List<MailAddress> recipients = new ArrayList<>();
        try {
            m = MaildropFile.decode(bytes);
            sender = ReversePath.parse(m.sender());
            // Each recipient once (Postfix's cleanup drops duplicates): -t plus the same address
            // as an argument, or To and Cc naming one person, must not deliver twice.
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String r : m.recipients()) {
                MailAddress a = MailAddress.parse(r);
                if (seen.add(a.localPart() + "@" + a.domainKey())) {
                    recipients.add(a);
                }
            }
        } catch (MaildropFile.MalformedException | IllegalArgumentException e) {
            moveAside(file, name, uid, e.getMessage());
            return;
        }
        boolean utf8 = !isAscii(m.sender()) || m.recipients().stream().anyMatch(r -> !isAscii(r));
        CleanupTransaction tx = cleanup.open(new Envelope(sender, "", "", "local", arrival, utf8,
                hasEightBit(m.content()), "pickup"));
        log.info("pickup", tx.queueId() + ": uid=" + uid + " from=<" + sender + ">");
        recipients.forEach(tx::addRecipient);
        byte[] content = LocalHeaders.rewrite(m.content(), m.sender(), m.fullname(), uid, tx.queueId().toString(),
                settings.myhostname(), settings.mailName(), ZonedDateTime.now(ZoneId.systemDefault()));
        tx.write(Unpooled.wrappedBuffer(content));
        try {
            tx.commit().get(5, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            tx.abort();
            if (e.getCause() instanceof SmtpException se && se.reply().code() >= 500) {
                moveAside(file, name, uid, se.reply().oneLine());
            } else {
                log.warning("pickup", name + ": " + tx.queueId() + ": not queued, will retry: "
                        + (e.getCause() == null ? e : e.getCause().getMessage()));
                retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
            }
            return;
        } catch (InterruptedException | TimeoutException e) {
            tx.abort();
            retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
            return;
        }
        try {
            Files.delete(file);
            AtomicFile.fsyncDirectory(maildrop.directory());
        } catch (IOException e) {
            // Queued already: a file left behind would be picked up twice; say so loudly.
            log.warning("pickup", name + ": queued as " + tx.queueId() + " but cannot remove it: " + e.getMessage());
        }
    }

    private void moveAside(Path file, String name, long uid, String why) {
        try {
            Path to = maildrop.moveAside(file);
            log.warning("pickup", name + ": uid=" + uid + ": " + why + "; moved to " + to);
        } catch (IOException e) {
            log.warning("pickup", name + ": uid=" + uid + ": " + why + "; cannot move it aside ("
                    + e.getMessage() + "), will retry");
            retryAt.put(file, System.currentTimeMillis() + RETRY_MILLIS);
        }
    }

    private static boolean isAscii(String s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    private static boolean hasEightBit(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return true;
            }
        }
        return false;
    }

    /** Stops after the message in hand is committed; what is left stays in maildrop/ for the next start. */
    @Override
    public void close() {
        running = false;
        try {
            watch.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

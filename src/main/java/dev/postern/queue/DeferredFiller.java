package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Fills deferred/ with many small, valid queue files, fast: for the deferred-queue benchmark
 * (bench/deferred-rss.sh) and the scale tests. Files are written without fsync (a benchmark
 * setup, not mail anyone was promised), each with its own queue ID, checksum and an mtime
 * (next attempt) of {@code nextAttempt}. Never used by the daemon.
 *
 * <p>{@code java -cp postern.jar dev.postern.queue.DeferredFiller QUEUE_DIRECTORY COUNT [SECONDS_UNTIL_DUE]}
 */
public final class DeferredFiller {
    private DeferredFiller() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: DeferredFiller QUEUE_DIRECTORY COUNT [SECONDS_UNTIL_DUE (default 86400)]");
            System.exit(2);
        }
        long due = args.length > 2 ? Long.parseLong(args[2]) : 86400;
        long t0 = System.nanoTime();
        int n = Integer.parseInt(args[1]);
        fill(Path.of(args[0]), n, Instant.now().plusSeconds(due), "alice@sender.example", "bob@dead.example");
        System.out.printf("created %d deferred queue files in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Writes {@code count} deferred messages from {@code sender} to {@code recipient}, due at
     * {@code nextAttempt}, with a few threads (file creation waits on the file system, not the CPU).
     */
    public static void fill(Path queueDirectory, int count, Instant nextAttempt, String sender, String recipient) throws IOException {
        Spool.createDirectories(queueDirectory);
        int threads = count < 1000 ? 1 : 4;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> parts = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int n = count / threads + (t < count % threads ? 1 : 0);
                parts.add(pool.submit(() -> {
                    fillPart(queueDirectory, n, nextAttempt, sender, recipient);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : parts) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    private static void fillPart(Path queueDirectory, int count, Instant nextAttempt, String sender, String recipient)
            throws IOException {
        Path deferred = queueDirectory.resolve("deferred");
        byte[] content = ("From: " + sender + "\r\nTo: " + recipient + "\r\nSubject: deferred for the scale test\r\n\r\n"
                + "This message waits in deferred/.\r\n").getBytes(StandardCharsets.US_ASCII);
        ReversePath from = ReversePath.parse(sender);
        List<MailAddress> to = List.of(MailAddress.parse(recipient));
        FileTime mtime = FileTime.from(nextAttempt);
        Instant arrival = Instant.now();
        for (int i = 0; i < count; ) {
            QueueId id = QueueId.next();
            QueueEnvelope env = new QueueEnvelope(id, arrival, from, "localhost[127.0.0.1]", "localhost", "ESMTP",
                    false, false, to);
            byte[] header = env.encode().withSize(content.length);
            CRC32C crc = new CRC32C();
            crc.update(content);
            crc.update(header);
            Path f = deferred.resolve(id.toString());
            try (OutputStream out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(concat(header, content, QueueFile.endRecord(crc.getValue())));
            } catch (FileAlreadyExistsException clash) {
                continue; // same ID as an earlier file: take the next
            }
            Files.setLastModifiedTime(f, mtime);
            i++;
        }
    }

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
        byte[] out = new byte[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }
}

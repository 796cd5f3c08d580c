package dev.postern.smtpd;

import dev.postern.cleanup.CleanupTransaction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DATA back-pressure: a client streams 50 MB as fast as loopback allows while the spool writer is
 * slowed down (every I/O task waits 20 ms first, ~13 MB/s); smtpd stops reading whenever more than
 * 1 MiB of the message waits for the spool, so the message never holds more than the bound in
 * memory, and the whole message still arrives intact.
 */
class DataBackPressureTest {
    @TempDir
    Path dir;

    @Test
    void aFastClientCannotMakeASessionHoldMoreThanTheBound() throws Exception {
        ExecutorService slowDisk = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(() -> r.run(), "slow-cleanup");
            t.setDaemon(true);
            return t;
        });
        ExecutorService slowed = new java.util.concurrent.AbstractExecutorService() {
            public void execute(Runnable task) {
                slowDisk.execute(() -> {
                    try {
                        Thread.sleep(20); // a slow file system, not a wait for a condition
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    task.run();
                });
            }

            public void shutdown() {
                slowDisk.shutdown();
            }

            public java.util.List<Runnable> shutdownNow() {
                return slowDisk.shutdownNow();
            }

            public boolean isShutdown() {
                return slowDisk.isShutdown();
            }

            public boolean isTerminated() {
                return slowDisk.isTerminated();
            }

            public boolean awaitTermination(long t, java.util.concurrent.TimeUnit u) throws InterruptedException {
                return slowDisk.awaitTermination(t, u);
            }
        };
        long total = 50L * 1000 * 1000;
        try (SmtpdHarness h = new SmtpdHarness(dir, "message_size_limit = 60000000\nsmtpd_peername_lookup = no\n", slowed);
             Socket s = new Socket(h.address().getAddress(), h.address().getPort())) {
            s.setSoTimeout(120_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            assertTrue(in.readLine().startsWith("220 "));
            out.write("EHLO client.example\r\n".getBytes(StandardCharsets.US_ASCII));
            String l;
            while ((l = in.readLine()).startsWith("250-")) {
                // capabilities
            }
            for (String cmd : new String[] {"MAIL FROM:<a@example.org>", "RCPT TO:<b@example.net>", "DATA"}) {
                out.write((cmd + "\r\n").getBytes(StandardCharsets.US_ASCII));
                String reply = in.readLine();
                assertTrue(reply.startsWith(cmd.equals("DATA") ? "354" : "250"), cmd + ": " + reply);
            }
            AtomicReference<Exception> writeFailure = new AtomicReference<>();
            Thread writer = new Thread(() -> {
                try {
                    byte[] line = new byte[1000];
                    Arrays.fill(line, (byte) 'x');
                    line[998] = '\r';
                    line[999] = '\n';
                    byte[] block = new byte[100_000];
                    for (int i = 0; i < 100; i++) {
                        System.arraycopy(line, 0, block, i * 1000, 1000);
                    }
                    out.write("Subject: big\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (long sent = 0; sent < total; sent += block.length) {
                        out.write(block);
                    }
                    out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (Exception e) {
                    writeFailure.set(e);
                }
            });
            writer.start();
            String reply = in.readLine();
            writer.join(60_000);
            assertTrue(writeFailure.get() == null, String.valueOf(writeFailure.get()));
            assertTrue(reply != null && reply.startsWith("250 2.0.0 Ok: queued as "), reply + "\n" + h.log());
            long peak = h.cleanup.peakQueuedBytes();
            assertTrue(peak > CleanupTransaction.BACKLOG_LIMIT / 2, "the spool was slowed: some backlog must build, peak " + peak);
            assertTrue(peak <= CleanupTransaction.BACKLOG_LIMIT + 256 * 1024,
                    "peak queued bytes " + peak + " beyond the bound " + CleanupTransaction.BACKLOG_LIMIT);
            String id = reply.substring("250 2.0.0 Ok: queued as ".length());
            try (Stream<Path> files = Files.walk(dir.resolve("queue"))) {
                Path queued = files.filter(p -> p.getFileName().toString().equals(id)).findFirst().orElseThrow();
                assertTrue(Files.size(queued) > total, "the whole message is in the queue file: " + Files.size(queued));
            }
        }
    }
}

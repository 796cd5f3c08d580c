package dev.postern.log;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** postern log rotate against a log that is being written, as postfix logrotate against postlogd. */
class MailLogRotationTest {
    private static final ZonedDateTime NOON = ZonedDateTime.of(2026, 12, 2, 12, 3, 4, 0, ZoneOffset.UTC);

    private static MailLogSettings file(Path f, String compressor) {
        return new MailLogSettings(f.toString(), "mx.example", "postern", 2, Path.of("/dev/log"), false,
                "%Y%m%d-%H%M%S", compressor);
    }

    /** Rotating under a writer that never pauses: every line ends up in exactly one of the two files. */
    @Test
    void rotationUnderLoadLosesNoLineAndCompressesTheOldFile(@TempDir Path dir) throws Exception {
        Peers.require("gzip", "gzip");
        Path f = dir.resolve("maillog");
        MailLogSettings s = file(f, "gzip");
        MailLog log = MailLog.open(s, null);
        assertEquals(f.toString(), log.destination());
        AtomicBoolean stop = new AtomicBoolean();
        int[] written = {0};
        Thread writer = new Thread(() -> {
            while (!stop.get()) {
                log.info("smtpd", "line " + written[0]++);
                java.util.concurrent.locks.LockSupport.parkNanos(20_000); // pace: enough lines to race the rename, not gigabytes
            }
        });
        // Wait for the writer to have put something in the file before rotating it.
        writer.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(f) || Files.size(f) == 0) {
            assertTrue(System.nanoTime() < deadline, "nothing written");
            Thread.sleep(10);
        }
        MailLogRotation.Result r = MailLogRotation.rotate(s, NOON, () -> true, Duration.ofSeconds(20));
        stop.set(true);
        writer.join();
        log.close();
        assertEquals(dir.resolve("maillog.20261202-120304"), r.rotated());
        assertEquals(dir.resolve("maillog.20261202-120304.gz"), r.compressed());
        assertFalse(Files.exists(r.rotated()), "gzip replaced the rotated file");
        List<String> all = new ArrayList<>(gunzip(r.compressed()));
        int before = all.size();
        assertTrue(before > 0);
        all.addAll(Files.readAllLines(f));
        int n = written[0];
        // The async writer may drop lines when this tight loop outruns the disk, but says how many.
        long dropped = all.stream().filter(l -> l.contains("lines dropped")).mapToLong(l -> Long.parseLong(
                l.replaceFirst(".*mail log: (\\d+) lines dropped.*", "$1"))).sum();
        List<String> numbered = all.stream().filter(l -> l.contains("]: line ")).toList();
        assertEquals(n, numbered.size() + dropped, "every line written once or counted as dropped");
        assertEquals(numbered.size(), numbered.stream().distinct().count(), "no line twice");
    }

    private static List<String> gunzip(Path gz) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void withoutADaemonRenamesAndLeavesUncompressedWhenNoCompressor(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("maillog");
        Files.writeString(f, "old line\n");
        MailLogRotation.Result r = MailLogRotation.rotate(file(f, ""), NOON, () -> false, Duration.ofSeconds(1));
        assertEquals("old line\n", Files.readString(r.rotated()));
        assertEquals(null, r.compressed());
        assertFalse(Files.exists(f));
    }

    @Test
    void refusals(@TempDir Path dir) throws Exception {
        IOException e = assertThrows(IOException.class, () -> MailLogRotation.rotate(file(Path.of("/dev/stdout"), "gzip"),
                NOON, () -> false, Duration.ofSeconds(1)));
        assertEquals("not rotating '/dev/stdout'", e.getMessage());
        e = assertThrows(IOException.class, () -> MailLogRotation.rotate(new MailLogSettings("", "h", "postern", 2,
                Path.of("/dev/log"), false, "%Y", "gzip"), NOON, () -> false, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("syslog"), e.getMessage());
        Path f = dir.resolve("maillog");
        Files.writeString(f, "x\n");
        Files.writeString(dir.resolve("maillog.20261202-120304"), "earlier\n");
        e = assertThrows(IOException.class, () -> MailLogRotation.rotate(file(f, "gzip"), NOON, () -> false, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("exists already"), e.getMessage());
        assertTrue(Files.exists(f), "nothing renamed");
        // A compressor that fails: the rename stands and the error names the command.
        Files.delete(dir.resolve("maillog.20261202-120304"));
        e = assertThrows(IOException.class, () -> MailLogRotation.rotate(file(f, "false"), NOON, () -> false, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("maillog_file_compressor 'false' failed (exit 1)"), e.getMessage());
        // A daemon that never reopens: no compression of a file it may still write.
        Files.writeString(f, "y\n");
        MailLogSettings other = new MailLogSettings(f.toString(), "h", "postern", 2, Path.of("/dev/log"), false, "%s", "gzip");
        e = assertThrows(IOException.class, () -> MailLogRotation.rotate(other, NOON, () -> true, Duration.ofMillis(200)));
        assertTrue(e.getMessage().contains("did not reopen"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.toString().endsWith(".gz")));
        }
    }

    @Test
    void suffixIsStrftime() throws Exception {
        assertEquals("20261202-120304", MailLogRotation.strftime("%Y%m%d-%H%M%S", NOON));
        assertEquals("26.336.2026-12-02%", MailLogRotation.strftime("%y.%j.%F%%", NOON));
        IOException e = assertThrows(IOException.class, () -> MailLogRotation.strftime("%Y%Q", NOON));
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("%Q is not supported"), e.getMessage());
        assertThrows(IOException.class, () -> MailLogRotation.strftime("%Y/%m", NOON));
    }
}

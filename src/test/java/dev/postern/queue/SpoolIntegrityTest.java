package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queue files prove themselves whole: truncated, foreign, damaged, misnamed and non-regular files
 * go to corrupt/ and are never read as mail; per-recipient records survive torn appends; version 1
 * files are still read.
 */
class SpoolIntegrityTest {
    @TempDir
    Path dir;
    Spool spool;
    final List<String> warnings = new ArrayList<>();
    final List<String> infos = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        spool = Spool.open(dir, Duration.ofHours(1), new Spool.Events() {
            @Override
            public void info(String text) {
                infos.add(text);
            }

            @Override
            public void warning(String text) {
                warnings.add(text);
            }
        });
    }

    @AfterEach
    void close() {
        spool.close();
    }

    static QueueEnvelope envelope(QueueId id, String... rcpts) {
        List<MailAddress> list = new ArrayList<>();
        for (String r : rcpts) {
            list.add(MailAddress.parse(r));
        }
        return new QueueEnvelope(id, Instant.ofEpochMilli(1_700_000_000_123L), ReversePath.of(MailAddress.parse("a@example.org")),
                "desk.example.org[192.0.2.7]", "desk.example.org", "ESMTPS", false, false, list);
    }

    static Path commit(Spool spool, QueueId id, byte[] content, String... rcpts) throws Exception {
        SpoolWriter w = new SpoolWriter(spool, id);
        w.begin(envelope(id, rcpts));
        w.write(ByteBuffer.wrap(content));
        w.commit().get(10, TimeUnit.SECONDS);
        return spool.root().resolve("incoming").resolve(id.toString());
    }

    private static byte[] content(int lines) {
        return ("Subject: integrity\r\n\r\n" + "a line of the body\r\n".repeat(lines)).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertTrue(mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo " + p);
    }

    private void assertQuarantined(Path f, String why) {
        assertThrows(CorruptQueueFileException.class, () -> spool.read(f), f.toString());
        assertFalse(Files.exists(f, java.nio.file.LinkOption.NOFOLLOW_LINKS), "moved out of " + f.getParent());
        assertTrue(warnings.stream().anyMatch(w -> w.startsWith("saving corrupt file \"" + f.getFileName() + "\" from queue \""
                + f.getParent().getFileName() + "\" to queue \"corrupt\"") && w.contains(why)), warnings.toString());
    }

    @Test
    void aWholeFileReadsBackExactly() throws Exception {
        byte[] c = content(100);
        Path f = commit(spool, QueueId.next(), c, "b@example.net");
        QueuedMessage m = spool.read(f);
        assertEquals(2, m.version());
        assertArrayEquals(c, readAll(m.content().open()), "content only: not the end record after it");
        assertEquals(c.length, m.content().size());
        assertTrue(Files.readString(f, StandardCharsets.ISO_8859_1).startsWith("postern-queue 2\nid " + m.envelope().id()
                + "\nsize " + String.format("%016d", c.length) + "\n"));
    }

    @Test
    void truncatedForeignDamagedAndMisnamedFilesGoToCorruptInEveryQueue() throws Exception {
        // A small file is read whole, a large one (over QueueFile.WHOLE) as a stream: both are checked alike.
        for (int lines : List.of(100, 5000)) {
        byte[] real = Files.readAllBytes(commit(spool, QueueId.next(), content(lines), "b@example.net"));
        assertEquals(lines > 100, real.length > QueueFile.WHOLE);
        for (String q : List.of("incoming", "active", "deferred", "hold")) {
            Path truncated = dir.resolve(q).resolve(QueueId.next().toString());
            byte[] head = java.util.Arrays.copyOf(real, lines > 100 ? QueueFile.WHOLE + 1000 : 300);
            // the first 300 bytes of a real file, under its own (matching) name
            String id = truncated.getFileName().toString();
            String oldId = new String(real, 0, 60, StandardCharsets.US_ASCII).split("\n")[1].substring(3);
            Files.write(truncated, new String(head, StandardCharsets.ISO_8859_1).replace(oldId, id).getBytes(StandardCharsets.ISO_8859_1));
            assertQuarantined(truncated, "truncated");

            Path foreign = dir.resolve(q).resolve(QueueId.next().toString());
            byte[] garbage = new byte[4096];
            new java.util.Random(7).nextBytes(garbage);
            Files.write(foreign, garbage);
            assertQuarantined(foreign, "not a Postern queue file");

            Path damaged = dir.resolve(q).resolve(oldId.equals(id) ? id : QueueId.next().toString());
            byte[] flipped = new String(real, StandardCharsets.ISO_8859_1).replace(oldId, damaged.getFileName().toString())
                    .getBytes(StandardCharsets.ISO_8859_1);
            flipped[flipped.length - 100] ^= 0x20; // one bit in the body
            Files.write(damaged, flipped);
            assertQuarantined(damaged, "checksum mismatch");

            Path misnamed = dir.resolve(q).resolve(QueueId.next().toString());
            Files.write(misnamed, real); // another message's file under this name
            assertQuarantined(misnamed, "file name and queue ID disagree");
        }
        }
        assertEquals(32, spool.list(Spool.Queue.CORRUPT).size());
    }

    @Test
    void aFifoADirectoryAndASymlinkAreNeverOpenedAsMail() throws Exception {
        Path good = commit(spool, QueueId.next(), content(1), "b@example.net");
        for (String q : List.of("incoming", "active", "deferred", "hold")) {
            Path fifo = dir.resolve(q).resolve(QueueId.next().toString());
            mkfifo(fifo);
            // Opening a FIFO for reading blocks until a writer comes: the check must not open it.
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertQuarantined(fifo, "not a regular file (a FIFO"));
            Path d = dir.resolve(q).resolve(QueueId.next().toString());
            Files.createDirectory(d);
            assertQuarantined(d, "not a regular file (a directory)");
            Path link = dir.resolve(q).resolve(QueueId.next().toString());
            Files.createSymbolicLink(link, good);
            assertQuarantined(link, "not a regular file (a symbolic link)");
        }
        assertTrue(Files.exists(good), "the link's target is untouched");
    }

    @Test
    void recoveryMovesWhatCannotBeMailToCorruptInEveryQueueDirectory() throws Exception {
        List<Path> planted = new ArrayList<>();
        for (String q : List.of("incoming", "active", "deferred", "hold")) {
            Path bogus = dir.resolve(q).resolve("not-a-queue-id");
            Files.writeString(bogus, "junk");
            planted.add(bogus);
            if (!q.equals("deferred")) { // deferred/ is checked file by file when due (a million files, no stat each)
                Path fifo = dir.resolve(q).resolve(QueueId.next().toString());
                mkfifo(fifo);
                planted.add(fifo);
                Path d = dir.resolve(q).resolve(QueueId.next().toString());
                Files.createDirectory(d);
                planted.add(d);
            }
        }
        Path good = spool.activate(commit(spool, QueueId.next(), content(1), "b@example.net"));
        List<String> notes = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> spool.recover());
        for (Path p : planted) {
            assertFalse(Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS), p + " left in place; " + notes);
        }
        try (var s = Files.list(dir.resolve("corrupt"))) {
            assertEquals(planted.size(), s.count());
        }
        assertEquals(List.of(dir.resolve("incoming").resolve(good.getFileName())), spool.list(Spool.Queue.INCOMING));
        assertEquals(planted.size(), warnings.size(), warnings.toString());
    }

    @Test
    void markDoneIsDurableAndSurvivesATornAppend() throws Exception {
        byte[] c = content(10);
        Path f = spool.activate(commit(spool, QueueId.next(), c, "b@example.net", "c@example.net", "d@example.net"));
        QueuedMessage m = spool.read(f);
        spool.markDone(m, List.of(MailAddress.parse("b@example.net")));
        // A crash in the middle of the next append: half a record, no newline.
        Files.write(f, "D\tc@example.n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        QueuedMessage torn = spool.read(f);
        assertEquals(List.of(MailAddress.parse("c@example.net"), MailAddress.parse("d@example.net")), torn.envelope().recipients(),
                "a torn record is ignored: c is delivered again (a duplicate, never a loss)");
        spool.markDone(torn, List.of(MailAddress.parse("c@example.net")));
        QueuedMessage after = spool.read(f);
        assertEquals(List.of(MailAddress.parse("d@example.net")), after.envelope().recipients(),
                "the record after the torn one starts on its own line and counts");
        assertArrayEquals(c, readAll(after.content().open()));
        assertEquals(java.util.Set.of("b@example.net", "c@example.net"), after.done());
    }

    @Test
    void deferralReasonsAreKeptAndCompacted() throws Exception {
        Path f = spool.activate(commit(spool, QueueId.next(), content(10), "b@example.net", "c@example.net"));
        Instant next = Instant.ofEpochSecond(Instant.now().getEpochSecond() + 600);
        MailAddress b = MailAddress.parse("b@example.net");
        Path deferred = spool.recordDeferral(spool.read(f), Map.of(b, "connect to mx.example.net[192.0.2.1]:25: Connection refused"), next);
        assertEquals(dir.resolve("deferred").resolve(f.getFileName()), deferred);
        assertEquals(next, spool.nextAttempt(deferred));
        QueuedMessage m = spool.read(deferred);
        assertEquals("connect to mx.example.net[192.0.2.1]:25: Connection refused", m.lastReason(b));
        assertEquals(null, m.lastReason(MailAddress.parse("c@example.net")));
        // Days of retries: the records are folded into a rewrite instead of growing for ever.
        Path cur = deferred;
        for (int i = 0; i < 300; i++) {
            Path active = spool.activate(cur);
            cur = spool.recordDeferral(spool.read(active), Map.of(b, "attempt " + i + " " + "x".repeat(200)), next);
        }
        assertTrue(Files.size(cur) < 4 * QueueFile.END_LENGTH + Spool.RECORDS_COMPACT_AT + 8192, "size " + Files.size(cur));
        assertTrue(spool.read(cur).lastReason(b).startsWith("attempt 299 "));
    }

    @Test
    void version1FilesFromTheFirstReleaseAreReadAndUpgradedBeforeAppending() throws Exception {
        QueueId id = QueueId.next();
        Path f = dir.resolve("incoming").resolve(id.toString());
        String body = "Subject: old\r\n\r\nfrom release 1\r\n";
        Files.writeString(f, "postern-queue 1\nid " + id + "\narrival 1700000000123\nsender a@example.org\nclient x[192.0.2.1]\n"
                + "helo x\nprotocol ESMTP\nsmtputf8 0\nrcpt b@example.net\nrcpt c@example.net\n\n" + body, StandardCharsets.US_ASCII);
        QueuedMessage m = spool.read(f);
        assertEquals(1, m.version());
        assertEquals(body, new String(readAll(m.content().open()), StandardCharsets.US_ASCII));
        spool.markDone(m, List.of(MailAddress.parse("b@example.net")));
        QueuedMessage v2 = spool.read(f);
        assertEquals(2, v2.version());
        assertEquals(List.of(MailAddress.parse("c@example.net")), v2.envelope().recipients());
        assertEquals(body, new String(readAll(v2.content().open()), StandardCharsets.US_ASCII));
    }

    @Test
    void aLargeDeliveredFileGivesItsBytesBackWithinOneSettlePeriod() throws Exception {
        Path f = spool.activate(commit(spool, QueueId.next(), content(5000), "b@example.net")); // ~100 KB
        spool.remove(f);
        spool.settle(); // every 200 ms in a running daemon
        assertEquals(0, Files.size(onlyRecycled()), "emptied: recycle/ holds no large delivered message");
    }

    /**
     * A small one (at most 64 KiB) is kept as it is for the next message to overwrite in place,
     * and emptied once it has waited RecycleBin.KEEP_UNUSED without being reused.
     */
    @Test
    void aSmallDeliveredFileIsKeptForReuseAndEmptiedWhenNotReusedInTime() throws Exception {
        Path f = spool.activate(commit(spool, QueueId.next(), content(100), "b@example.net"));
        long length = Files.size(f);
        spool.remove(f);
        spool.settle();
        Path kept = onlyRecycled();
        assertEquals(length, Files.size(kept), "kept as it is, to be overwritten by the next message");
        spool.settle(RecycleBin.KEEP_UNUSED.minusSeconds(1));
        assertEquals(length, Files.size(kept));
        spool.settle(RecycleBin.KEEP_UNUSED.plusSeconds(1));
        assertEquals(0, Files.size(kept), "no delivered mail lingers in recycle/ past KEEP_UNUSED");
        Path next = commit(spool, QueueId.next(), content(1), "c@example.net");
        assertEquals(0, countRecycled(), "still offered for reuse once emptied");
        assertArrayEquals(content(1), readAll(spool.read(next).content().open()));
    }

    private Path onlyRecycled() throws IOException {
        try (var s = Files.list(dir.resolve("recycle"))) {
            List<Path> all = s.toList();
            assertEquals(1, all.size(), all.toString());
            return all.get(0);
        }
    }

    private long countRecycled() throws IOException {
        try (var s = Files.list(dir.resolve("recycle"))) {
            return s.count();
        }
    }

    @Test
    void anOperatorRequestForAMessageBeingDeliveredIsAppliedWhenTheAttemptEnds() throws Exception {
        Path f = spool.activate(commit(spool, QueueId.next(), content(1), "b@example.net"));
        String id = f.getFileName().toString();
        QueueControl control = QueueControl.open(dir);
        QueueControl.Outcome o = control.hold(List.of(id), null);
        assertEquals(List.of(id), o.pending(), "active: left as a request");
        assertTrue(Files.exists(f), "a message being delivered is not moved under the delivery");
        Path now = spool.recordDeferral(spool.read(f), Map.of(MailAddress.parse("b@example.net"), "try later"), Instant.now());
        assertEquals(dir.resolve("hold").resolve(id), now);
        assertTrue(infos.contains(id + ": placed on hold"), infos.toString());
        assertEquals(List.of(), spool.list(Spool.Queue.DEFERRED));
    }
}

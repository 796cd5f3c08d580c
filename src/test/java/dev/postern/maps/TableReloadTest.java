package dev.postern.maps;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tables reload in the background and lookups read a snapshot: an edit takes effect within about a
 * second (no postmap, no restart), a file that disappears or breaks keeps the last good contents
 * with one warning, and warnings never carry a line's text.
 */
class TableReloadTest {
    @TempDir
    Path dir;
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent e) {
            warnings.add(e.getLevel() + " " + e.getFormattedMessage());
        }
    };

    @BeforeEach
    void capture() {
        capture.start();
        ((Logger) LoggerFactory.getLogger(WatchedFile.class)).addAppender(capture);
    }

    @AfterEach
    void release() {
        ((Logger) LoggerFactory.getLogger(WatchedFile.class)).detachAppender(capture);
    }

    /** Polls until {@code key} answers {@code value}, at most 3 s (an edit is seen at once through the watch, else by a lookup a second after the last round). */
    static void awaitValue(LookupTable t, String key, String value) throws Exception {
        long deadline = System.nanoTime() + 3_000_000_000L;
        String got = null;
        while (System.nanoTime() < deadline) {
            try {
                got = t.lookup(key).orElse(null);
            } catch (LookupException e) {
                got = "LookupException";
            }
            if (value.equals(got)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(t.spec() + ": " + key + " still answers " + got + ", expected " + value);
    }

    /** Asks the watcher for {@code n} more rounds (an idle watcher makes none) and waits until they are done. */
    private static void awaitRounds(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int i = 0; i < n; i++) {
            long target = TableWatcher.instance().rounds() + 1;
            TableWatcher.instance().checkNow();
            while (TableWatcher.instance().rounds() < target) {
                assertTrue(System.nanoTime() < deadline, "the table watcher stopped");
                Thread.sleep(20);
            }
        }
    }

    private List<String> warningsAbout(Path p) {
        return warnings.stream().filter(w -> w.startsWith("WARN") && w.contains(p.toString())).toList();
    }

    @Test
    void editsOfEveryFileTableTakeEffectWithinTwoSeconds() throws Exception {
        Path hash = dir.resolve("access");
        Path regexp = dir.resolve("header_checks");
        Path cidr = dir.resolve("clients.cidr");
        Files.writeString(hash, "a@x OK\n");
        Files.writeString(regexp, "/^a@/ OK\n");
        Files.writeString(cidr, "192.0.2.0/24 OK\n");
        LookupTable h = Maps.open("hash:" + hash);
        LookupTable r = Maps.open("regexp:" + regexp);
        LookupTable c = Maps.open("cidr:" + cidr);
        assertEquals("OK", h.lookup("a@x").orElseThrow());
        long start = System.nanoTime();
        Files.writeString(hash, "a@x REJECT\n");
        Files.writeString(regexp, "/^a@/ REJECT\n");
        Files.writeString(cidr, "192.0.2.0/24 REJECT\n");
        awaitValue(h, "a@x", "REJECT");
        awaitValue(r, "a@x", "REJECT");
        awaitValue(c, "192.0.2.7", "REJECT");
        assertTrue(System.nanoTime() - start < 2_500_000_000L, "took " + (System.nanoTime() - start) / 1_000_000 + " ms");
    }

    @Test
    void anEditThatKeepsSizeAndMtimeIsSeenThroughTheDirectoryWatch() throws Exception {
        Path hash = dir.resolve("access");
        Files.writeString(hash, "a@x OK1\n");
        FileTime mtime = Files.getLastModifiedTime(hash);
        LookupTable h = Maps.open("hash:" + hash);
        Files.writeString(hash, "a@x OK2\n"); // same size, same inode
        Files.setLastModifiedTime(hash, mtime); // and the old mtime: only the watch event tells
        awaitValue(h, "a@x", "OK2");
    }

    @Test
    void aFileBeingWrittenIsNotReadHalfWritten() throws Exception {
        Path hash = dir.resolve("access");
        Files.writeString(hash, "a@x OK\n");
        LookupTable h = Maps.open("hash:" + hash);
        Files.writeString(hash, ""); // a writer's truncation, its contents still to come
        long attempts = TableWatcher.instance().attempts();
        TableWatcher.instance().checkNow(); // a round at that very moment (a lookup's, or the watch's)
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (TableWatcher.instance().attempts() <= attempts) {
            assertTrue(System.nanoTime() < deadline, "no round");
            Thread.sleep(5);
        }
        assertEquals("OK", h.lookup("a@x").orElse("(not found: the empty file was read)"),
                "a file changed a moment ago is left for a later round");
        Files.writeString(hash, "a@x REJECT\n");
        awaitValue(h, "a@x", "REJECT");
    }

    @Test
    void aVanishedFileKeepsTheLastGoodSnapshotAndWarnsOnce() throws Exception {
        Path hash = dir.resolve("access");
        Files.writeString(hash, "a@x OK\n");
        LookupTable h = Maps.open("hash:" + hash);
        Files.delete(hash);
        awaitRounds(3);
        assertEquals("OK", h.lookup("a@x").orElseThrow(), "lookups use the snapshot, not the file");
        List<String> w = warningsAbout(hash);
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("cannot read " + hash) && w.get(0).contains("keeping the previous contents"), w.get(0));
        // Recovery: the file comes back (as an editor's rename would bring it) with new contents.
        Path tmp = dir.resolve(".access.tmp");
        Files.writeString(tmp, "a@x REJECT\n");
        Files.move(tmp, hash, StandardCopyOption.ATOMIC_MOVE);
        awaitValue(h, "a@x", "REJECT");
    }

    @Test
    void aBrokenEditKeepsTheSnapshotAndTheWarningNamesFileAndLineOnly() throws Exception {
        Path sasl = dir.resolve("sasl_passwd");
        Files.writeString(sasl, "[relay.example]:587 user:Secret1\n");
        LookupTable h = Maps.open("hash:" + sasl);
        Files.writeString(sasl, "[relay.example]:587 user:Secret2\n\"hunter2pass user:Secret3\nSecretKeyOnly\n");
        awaitRounds(2);
        assertEquals("user:Secret1", h.lookup("[relay.example]:587").orElseThrow());
        List<String> w = warningsAbout(sasl);
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains(sasl + ":2: unbalanced quote"), w.get(0));
        for (String s : warnings) {
            assertFalse(s.contains("Secret") || s.contains("hunter2") || s.contains("relay.example"), s);
        }
        Files.writeString(sasl, "[relay.example]:587 user:Secret2\nSecretKeyOnly\n");
        awaitRounds(2);
        for (String s : warnings) {
            assertFalse(s.contains("Secret") || s.contains("relay.example"), s);
        }
        assertTrue(warningsAbout(sasl).get(1).contains(sasl + ":2: expected"), warningsAbout(sasl).toString());
    }
}

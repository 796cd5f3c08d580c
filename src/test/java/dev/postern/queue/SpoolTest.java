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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spool on a real file system: commit, the queue moves, recovery, partial rewrites. */
class SpoolTest {
    @TempDir
    Path dir;
    Spool spool;

    @BeforeEach
    void open() throws IOException {
        spool = Spool.open(dir, java.time.Duration.ofHours(1)); // settle() only when a test calls it
    }

    @AfterEach
    void close() {
        spool.close();
    }

    private QueueEnvelope envelope(QueueId id, String... rcpts) {
        List<MailAddress> list = new ArrayList<>();
        for (String r : rcpts) {
            list.add(MailAddress.parse(r));
        }
        return new QueueEnvelope(id, Instant.ofEpochMilli(1_700_000_000_123L), ReversePath.of(MailAddress.parse("a@example.org")),
                "desk.example.org[192.0.2.7]", "desk.example.org", "ESMTPS", false, true, list);
    }

    private Path commit(QueueId id, byte[] content, String... rcpts) throws Exception {
        SpoolWriter w = new SpoolWriter(spool, id);
        w.begin(envelope(id, rcpts));
        w.write(ByteBuffer.wrap(content));
        CompletableFuture<Void> done = w.commit();
        done.get(10, TimeUnit.SECONDS);
        return dir.resolve("incoming").resolve(id.toString());
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    @Test
    void committedMessageIsPublishedUnderItsIdWithEnvelopeAndExactContent() throws Exception {
        QueueId id = QueueId.next();
        byte[] content = "Subject: x\r\n\r\nbody\r\n..dot\r\n".getBytes(StandardCharsets.UTF_8);
        Path f = commit(id, content, "b@example.net", "c@example.net");
        assertTrue(Files.exists(f));
        assertEquals(List.of(f), spool.list(Spool.Queue.INCOMING), "no temp file is listed, the message is");
        QueuedMessage m = spool.read(f);
        assertEquals(id, m.envelope().id());
        assertEquals("a@example.org", m.envelope().sender().toString());
        assertEquals(List.of(MailAddress.parse("b@example.net"), MailAddress.parse("c@example.net")), m.envelope().recipients());
        assertEquals(Instant.ofEpochMilli(1_700_000_000_123L), m.envelope().arrival());
        assertTrue(m.envelope().eightBitMime(), "BODY=8BITMIME is kept");
        assertEquals(content.length, m.content().size());
        assertArrayEquals(content, read(m.content().open()));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)),
                "mail is private");
        for (String d : new String[] {"incoming", "active", "deferred", "hold", "corrupt", "recycle"}) {
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve(d))), d);
        }
    }

    /**
     * A message that fits in {@link SpoolWriter#HOLD} is written at commit in one write with its
     * length in the header; a larger one in pieces with the length patched in afterwards. Either
     * way the file is byte for byte what {@link QueueFile#write} makes of the same message, and
     * reads back whole (length and checksum).
     */
    @Test
    void smallAndLargeMessagesAreWrittenByteForByteAlike() throws Exception {
        byte[] small = "Subject: s\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] large = ("Subject: l\r\n\r\n" + "0123456789abcdef line of a large message\r\n".repeat(8000))
                .getBytes(StandardCharsets.US_ASCII);
        assertTrue(large.length > 4 * SpoolWriter.HOLD);
        for (byte[] content : List.of(small, large)) {
            QueueId id = QueueId.next();
            SpoolWriter w = new SpoolWriter(spool, id);
            w.begin(envelope(id, "b@example.net"));
            for (int at = 0; at < content.length; at += 10_000) { // in pieces, as cleanup hands them over
                w.write(ByteBuffer.wrap(java.util.Arrays.copyOfRange(content, at, Math.min(content.length, at + 10_000))));
            }
            w.commit().get(10, TimeUnit.SECONDS);
            Path f = dir.resolve("incoming").resolve(id.toString());
            Path expected = dir.resolve("expected-" + id);
            try (var out = java.nio.channels.FileChannel.open(expected, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE)) {
                QueueFile.write(out, envelope(id, "b@example.net"), new dev.postern.mail.MessageContent() {
                    @Override
                    public InputStream open() {
                        return new java.io.ByteArrayInputStream(content);
                    }

                    @Override
                    public long size() {
                        return content.length;
                    }
                }, new byte[0]);
            }
            assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(f), content.length + " bytes");
            assertArrayEquals(content, read(spool.read(f).content().open()));
        }
    }

    @Test
    void activateThenRemove() throws Exception {
        Path f = commit(QueueId.next(), "x\r\n".getBytes(StandardCharsets.US_ASCII), "b@example.net");
        Path active = spool.activate(f);
        assertFalse(Files.exists(f));
        assertEquals(List.of(active), spool.list(Spool.Queue.ACTIVE));
        spool.remove(active);
        assertTrue(spool.list(Spool.Queue.ACTIVE).isEmpty());
        assertTrue(spool.list(Spool.Queue.INCOMING).isEmpty());
    }

    @Test
    void deferKeepsTheNextAttemptTimeAsMtime() throws Exception {
        Path active = spool.activate(commit(QueueId.next(), "x\r\n".getBytes(StandardCharsets.US_ASCII), "b@example.net"));
        Instant next = Instant.ofEpochSecond(Instant.now().getEpochSecond() + 300);
        Path deferred = spool.defer(active, next);
        assertEquals(List.of(deferred), spool.list(Spool.Queue.DEFERRED));
        assertEquals(next, spool.nextAttempt(deferred));
    }

    @Test
    void recoveryRequeuesActiveMailAndDeletesUnfinishedTempFiles() throws Exception {
        Path active = spool.activate(commit(QueueId.next(), "x\r\n".getBytes(StandardCharsets.US_ASCII), "b@example.net"));
        QueueId unfinished = QueueId.next();
        SpoolWriter w = new SpoolWriter(spool, unfinished);
        w.begin(envelope(unfinished, "b@example.net"));
        w.write(ByteBuffer.wrap("half a mess".getBytes(StandardCharsets.US_ASCII)));
        // a crash here: the writer is never committed nor closed
        spool.close();
        spool = Spool.open(dir, java.time.Duration.ofHours(1)); // settle() only when a test calls it
        List<String> notes = spool.recover();
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(spool.list(Spool.Queue.ACTIVE).isEmpty());
        assertEquals(List.of(dir.resolve("incoming").resolve(active.getFileName())), spool.list(Spool.Queue.INCOMING));
        try (var s = Files.list(dir.resolve("incoming"))) {
            assertEquals(1, s.count(), "the temp file is gone");
        }
    }

    @Test
    void rewriteRecipientsKeepsContentAndDropsDeliveredRecipients() throws Exception {
        byte[] content = "Subject: y\r\n\r\nline\r\n".getBytes(StandardCharsets.US_ASCII);
        Path f = spool.activate(commit(QueueId.next(), content, "b@example.net", "c@example.net", "d@example.net"));
        QueuedMessage m = spool.read(f);
        spool.rewriteRecipients(m, m.envelope().withRecipients(List.of(MailAddress.parse("c@example.net"))));
        QueuedMessage again = spool.read(f);
        assertEquals(List.of(MailAddress.parse("c@example.net")), again.envelope().recipients());
        assertArrayEquals(content, read(again.content().open()));
    }

    @Test
    void aCorruptFileIsReportedNotGuessedAt() throws Exception {
        Path f = dir.resolve("incoming").resolve(QueueId.next().toString());
        Files.writeString(f, "not a queue file\n\nbody");
        assertThrows(CorruptQueueFileException.class, () -> spool.read(f));
        assertFalse(Files.exists(f), "moved aside by the read itself");
        assertEquals(1, spool.list(Spool.Queue.CORRUPT).size());
    }

    @Test
    void manyConcurrentCommitsAllBecomeDurable() throws Exception {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            QueueId id = QueueId.next();
            SpoolWriter w = new SpoolWriter(spool, id);
            w.begin(envelope(id, "b@example.net"));
            w.write(ByteBuffer.wrap(("message " + i + "\r\n").getBytes(StandardCharsets.US_ASCII)));
            all.add(w.commit());
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        assertEquals(200, spool.list(Spool.Queue.INCOMING).size());
    }

    @Test
    void aDeliveredFileIsReusedForTheNextMessageWithNothingOfTheOldContentLeft() throws Exception {
        byte[] big = ("Subject: old\r\n\r\n" + "secret old line\r\n".repeat(2000)).getBytes(StandardCharsets.US_ASCII);
        Path first = spool.activate(commit(QueueId.next(), big, "b@example.net"));
        Object inode = Files.readAttributes(first, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        spool.remove(first);
        assertFalse(Files.exists(first));
        try (var s = Files.list(dir.resolve("recycle"))) {
            assertEquals(1, s.count(), "kept for reuse");
        }
        // Not reused before its move out of active/ is durable (a crash could resurrect active/<id>).
        Path early = commit(QueueId.next(), "x\r\n".getBytes(StandardCharsets.US_ASCII), "c@example.net");
        assertFalse(inode.equals(Files.readAttributes(early, java.nio.file.attribute.BasicFileAttributes.class).fileKey()),
                "a new file while the removal is not yet durable");
        spool.settle();
        byte[] small = "Subject: new\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII);
        Path second = commit(QueueId.next(), small, "c@example.net");
        if (inode != null) {
            assertEquals(inode, Files.readAttributes(second, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                    "the same file (inode) was reused");
        }
        QueuedMessage m = spool.read(second);
        assertArrayEquals(small, read(m.content().open()));
        assertFalse(Files.readString(second, StandardCharsets.ISO_8859_1).contains("secret"), "the old, longer message cut to the new one at commit");
        try (var s = Files.list(dir.resolve("recycle"))) {
            assertEquals(0, s.count());
        }
    }

    /**
     * An access table's HOLD: the file is committed into hold/ (from a temp file in incoming/, or
     * from a recycled file in recycle/), whole and readable, and never in incoming/ where the queue
     * manager would take it.
     */
    @Test
    void aHeldMessageIsCommittedIntoHold() throws Exception {
        byte[] content = "Subject: held\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        for (boolean recycled : new boolean[] {false, true}) {
            if (recycled) {
                spool.remove(spool.activate(commit(QueueId.next(), content, "x@example.net")));
                spool.settle();
            }
            QueueId id = QueueId.next();
            SpoolWriter w = new SpoolWriter(spool, id);
            w.begin(envelope(id, "b@example.net"));
            w.write(ByteBuffer.wrap(content));
            CompletableFuture<Void> done = w.commitHeld();
            assertTrue(done.isDone() && !done.isCompletedExceptionally(), "durable before it returns");
            Path held = dir.resolve("hold").resolve(id.toString());
            assertEquals(List.of(held), spool.list(Spool.Queue.HOLD).stream().filter(p -> p.equals(held)).toList());
            assertArrayEquals(content, read(spool.read(held).content().open()));
            assertTrue(spool.list(Spool.Queue.INCOMING).isEmpty());
            try (var s = Files.list(dir.resolve("incoming"))) {
                assertEquals(0, s.count(), "no temp file left");
            }
            try (var s = Files.list(dir.resolve("recycle"))) {
                assertEquals(0, s.count(), recycled ? "the recycled file became the held message" : "none");
            }
        }
    }

    /**
     * A recycled file is written in place in recycle/ and published by one rename to incoming/ID;
     * a crash before the commit leaves no queue file, only the recycled file, emptied again at
     * the next start (never acknowledged, never delivered).
     */
    @Test
    void aRecycledFileIsWrittenInPlaceAndAnUncommittedOneIsEmptiedAtRestart() throws Exception {
        Path delivered = spool.activate(commit(QueueId.next(), "Subject: old\r\n\r\nsecret\r\n".getBytes(StandardCharsets.US_ASCII),
                "b@example.net"));
        spool.remove(delivered);
        spool.settle();
        QueueId id = QueueId.next();
        SpoolWriter w = new SpoolWriter(spool, id);
        w.begin(envelope(id, "b@example.net"));
        w.write(ByteBuffer.wrap("Subject: new\r\n\r\nhalf a mess".repeat(5000).getBytes(StandardCharsets.US_ASCII)));
        try (var s = Files.list(dir.resolve("incoming"))) {
            assertEquals(0, s.count(), "no temp file in incoming/: the recycled file is written where it is");
        }
        Path inPlace;
        try (var s = Files.list(dir.resolve("recycle"))) {
            inPlace = s.findFirst().orElseThrow();
        }
        assertTrue(Files.size(inPlace) > 0, "being written in recycle/");
        // a crash here: never committed nor closed
        spool.close();
        spool = Spool.open(dir, java.time.Duration.ofHours(1));
        spool.recover();
        assertTrue(spool.list(Spool.Queue.INCOMING).isEmpty());
        assertEquals(0, Files.size(inPlace), "emptied at the start, kept for reuse");
    }

    @Test
    void recyclingIsBoundedAndSurvivesARestart() throws Exception {
        List<Path> active = new ArrayList<>();
        for (int i = 0; i < Spool.RECYCLE_LIMIT + 10; i++) {
            active.add(spool.activate(commit(QueueId.next(), "x\r\n".getBytes(StandardCharsets.US_ASCII), "b@example.net")));
        }
        for (Path f : active) {
            spool.remove(f);
        }
        try (var s = Files.list(dir.resolve("recycle"))) {
            assertEquals(Spool.RECYCLE_LIMIT, s.count(), "the rest were deleted");
        }
        assertTrue(spool.list(Spool.Queue.ACTIVE).isEmpty());
        spool.close();
        spool = Spool.open(dir, java.time.Duration.ofHours(1)); // settle() only when a test calls it
        Path reused = commit(QueueId.next(), "y\r\n".getBytes(StandardCharsets.US_ASCII), "b@example.net");
        assertArrayEquals("y\r\n".getBytes(StandardCharsets.US_ASCII), read(spool.read(reused).content().open()));
        try (var s = Files.list(dir.resolve("recycle"))) {
            assertEquals(Spool.RECYCLE_LIMIT - 1, s.count(), "the reopened spool reuses what the last run kept");
        }
    }

    /** A recycle/ name that is also a live message (a crash between renames) is dropped, never reused. */
    @Test
    void aRecycleNameStillLinkedToALiveMessageIsNotReused() throws Exception {
        byte[] live = "Subject: live\r\n\r\nkeep me\r\n".getBytes(StandardCharsets.US_ASCII);
        Path f = commit(QueueId.next(), live, "b@example.net");
        Files.createLink(dir.resolve("recycle").resolve("stale"), f);
        spool.close();
        spool = Spool.open(dir, java.time.Duration.ofHours(1));
        assertFalse(Files.exists(dir.resolve("recycle").resolve("stale")));
        commit(QueueId.next(), "other\r\n".getBytes(StandardCharsets.US_ASCII), "c@example.net");
        assertArrayEquals(live, read(spool.read(f).content().open()), "the live message is untouched");
    }

    /**
     * A body_checks FILTER, REDIRECT or BCC found after the writer started: the envelope is
     * replaced, longer or shorter, before anything was written (held in memory) and after (the
     * content moves in place), also in a recycled file that held a longer message; the file reads
     * back whole, its checksum verified, with the new envelope.
     */
    @Test
    void theEnvelopeCanBeReplacedAfterTheContentStarted() throws Exception {
        byte[] small = "Subject: small\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
        StringBuilder sb = new StringBuilder("Subject: large\r\n\r\n");
        for (int i = 0; sb.length() < 300_000; i++) {
            sb.append("line ").append(i).append(" of a message larger than the writer holds\r\n");
        }
        byte[] large = sb.toString().getBytes(StandardCharsets.US_ASCII);
        String[] few = {"b@example.net"};
        String[] many = {"b@example.net", "c@example.net", "a-much-longer-recipient-address@subdomain.example.org",
                "d@example.net", "e@example.net"};
        for (boolean recycled : new boolean[] {false, true}) {
            for (byte[] content : List.of(small, large)) {
                for (String[][] change : List.of(new String[][] {few, many}, new String[][] {many, few})) {
                    if (recycled) { // a longer old message in the file that is reused
                        byte[] old = new byte[large.length + 50_000];
                        java.util.Arrays.fill(old, (byte) 'o');
                        spool.remove(spool.activate(commit(QueueId.next(), old, "x@example.net")));
                        spool.settle();
                    }
                    QueueId id = QueueId.next();
                    SpoolWriter w = new SpoolWriter(spool, id);
                    w.begin(SpoolIntegrityTest.envelope(id, change[0]));
                    int half = content.length / 2;
                    w.write(ByteBuffer.wrap(content, 0, half));
                    QueueEnvelope e = SpoolIntegrityTest.envelope(id, change[1]);
                    w.replaceEnvelope(new QueueEnvelope(e.id(), e.arrival(), e.sender(), e.client(), e.helo(), e.protocol(),
                            e.smtpUtf8(), e.eightBitMime(), e.recipients(), e.dsn(), e.recipientDsn(), "filter:[127.0.0.1]:10025"));
                    w.write(ByteBuffer.wrap(content, half, content.length - half));
                    w.commit().get(10, TimeUnit.SECONDS);
                    Path f = dir.resolve("incoming").resolve(id.toString());
                    String what = (recycled ? "recycled, " : "") + content.length + " bytes, " + change[0].length + " -> "
                            + change[1].length + " recipients";
                    QueuedMessage m = spool.read(f);
                    assertEquals(change[1].length, m.envelope().recipients().size(), what);
                    assertEquals("filter:[127.0.0.1]:10025", m.envelope().filter(), what);
                    assertArrayEquals(content, read(m.content().open()), what);
                    assertFalse(Files.readString(f, StandardCharsets.ISO_8859_1).contains("ooooo"), what + ": no old bytes");
                    spool.remove(spool.activate(f));
                }
            }
        }
    }
}

package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The content filter line of the queue file header (Postfix's FILTER record): written only when a
 * message has a filter, read back, kept by rewrites, and inside the checksum.
 */
class QueueFilterTest {
    private static final String FILTER = "smtp-amavis:[127.0.0.1]:10024";

    @TempDir
    Path dir;
    Spool spool;
    final List<String> warnings = new ArrayList<>();

    @BeforeEach
    void open() throws IOException {
        spool = Spool.open(dir, Duration.ofHours(1), new Spool.Events() {
            @Override
            public void info(String text) {
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

    private Path commit(String filter, int lines, String... rcpts) throws Exception {
        QueueId id = QueueId.next();
        QueueEnvelope e = SpoolIntegrityTest.envelope(id, rcpts);
        e = new QueueEnvelope(e.id(), e.arrival(), e.sender(), e.client(), e.helo(), e.protocol(), e.smtpUtf8(),
                e.eightBitMime(), e.recipients(), e.dsn(), e.recipientDsn(), filter);
        SpoolWriter w = new SpoolWriter(spool, id);
        w.begin(e);
        w.write(ByteBuffer.wrap(("Subject: filter\r\n\r\n" + "body\r\n".repeat(lines)).getBytes(StandardCharsets.US_ASCII)));
        w.commit().get(10, TimeUnit.SECONDS);
        return dir.resolve("incoming").resolve(id.toString());
    }

    private static String header(Path f) throws IOException {
        String s = Files.readString(f, StandardCharsets.ISO_8859_1);
        return s.substring(0, s.indexOf("\n\n") + 1);
    }

    @Test
    void theFilterIsWrittenOnlyWhenSetAndReadBackFromSmallAndLargeFiles() throws Exception {
        Path none = commit(null, 10, "b@example.net");
        assertFalse(header(none).contains("filter"), header(none));
        assertNull(spool.read(none).envelope().filter());
        for (int lines : List.of(10, 20_000)) { // read whole, and as a stream (over QueueFile.WHOLE)
            Path f = commit(FILTER, lines, "b@example.net", "c@example.org");
            assertEquals(lines > 10, Files.size(f) > QueueFile.WHOLE);
            assertTrue(header(f).contains("\nfilter " + FILTER + "\nrcpt b@example.net\n"), header(f));
            assertEquals(FILTER, spool.read(f).envelope().filter());
            assertEquals(FILTER, QueueFile.read(f, false).envelope().filter());
        }
    }

    @Test
    void aRewriteKeepsTheFilter() throws Exception {
        Path f = commit(FILTER, 10, "b@example.net", "c@example.org");
        QueuedMessage m = spool.read(f);
        spool.rewriteRecipients(m, m.envelope().withRecipients(List.of(MailAddress.parse("c@example.org"))));
        QueuedMessage again = spool.read(f);
        assertEquals(List.of(MailAddress.parse("c@example.org")), again.envelope().recipients());
        assertEquals(FILTER, again.envelope().filter());
        spool.markDone(again, List.of(MailAddress.parse("c@example.org")));
        assertEquals(FILTER, spool.read(f).envelope().filter());
    }

    /**
     * postern queue requeue (postsuper -r): the tool appends a requeue record and moves the file
     * to incoming/, header untouched; the queue manager's {@link Spool#applyRequeue} then writes
     * the filter it is given (pickup's content_filter) in place of the old one, once, keeping the
     * deferral reasons and the delay notice.
     */
    @Test
    void aRequeueIsRecordedAndApplyingItReplacesTheFilterOnce() throws Exception {
        MailAddress b = MailAddress.parse("b@example.net");
        Path f = commit(FILTER, 10, "b@example.net", "c@example.org");
        String id = f.getFileName().toString();
        QueuedMessage m = spool.read(spool.activate(f));
        spool.markDone(m, List.of(MailAddress.parse("c@example.org")));
        java.time.Instant notice = java.time.Instant.ofEpochMilli(1_764_043_200_123L);
        Path deferred = spool.recordDeferral(spool.read(m.file()), java.util.Map.of(b, "451 4.3.0 scanner busy"),
                java.time.Instant.now().plusSeconds(3600), notice);
        assertEquals(dir.resolve("deferred").resolve(id), deferred);
        assertFalse(spool.read(deferred).requeued());

        QueueControl.Outcome o = QueueControl.open(dir).requeue(List.of(id), null);
        assertEquals(List.of(id), o.done());
        Path incoming = dir.resolve("incoming").resolve(id);
        QueuedMessage requeued = spool.read(incoming);
        assertTrue(requeued.requeued());
        assertEquals(FILTER, requeued.envelope().filter(), "the tool never rewrites the header");

        QueuedMessage applied = spool.applyRequeue(spool.read(spool.activate(incoming)), "filter:[127.0.0.1]:10026");
        assertFalse(applied.requeued());
        assertEquals("filter:[127.0.0.1]:10026", applied.envelope().filter());
        assertTrue(header(applied.file()).contains("\nfilter filter:[127.0.0.1]:10026\n"), header(applied.file()));
        assertEquals(List.of(b), applied.envelope().recipients(), "the recipient done stays done");
        assertEquals("451 4.3.0 scanner busy", applied.lastReason(b));
        assertEquals(notice, applied.delayNoticeSent());
        assertEquals("Subject: filter\r\n\r\n" + "body\r\n".repeat(10),
                new String(applied.content().open().readAllBytes(), StandardCharsets.US_ASCII));
        QueuedMessage again = spool.read(applied.file());
        assertFalse(again.requeued(), "applied once: a later reload does not change the message's filter");
        assertEquals("filter:[127.0.0.1]:10026", again.envelope().filter());

        // Requeued again while pickup has no content_filter: the filter is gone.
        Path back = spool.recordDeferral(again, java.util.Map.of(), java.time.Instant.now().plusSeconds(3600));
        QueueControl.open(dir).requeue(List.of("ALL"), null);
        QueuedMessage none = spool.applyRequeue(spool.read(spool.activate(dir.resolve("incoming").resolve(id))), "");
        assertEquals(dir.resolve("deferred").resolve(id), back);
        assertNull(none.envelope().filter());
        assertFalse(header(none.file()).contains("filter"), header(none.file()));
        assertEquals("451 4.3.0 scanner busy", none.lastReason(b));
    }

    /** A message being delivered gets a request; when the attempt ends the daemon requeues and marks it. */
    @Test
    void aRequeueRequestLeftForAMessageBeingDeliveredMarksItWhenTheAttemptEnds() throws Exception {
        Path f = commit(FILTER, 10, "b@example.net");
        String id = f.getFileName().toString();
        QueuedMessage m = spool.read(spool.activate(f));
        QueueControl.Outcome o = QueueControl.open(dir).requeue(List.of(id), null);
        assertEquals(List.of(id), o.pending());
        assertFalse(spool.read(m.file()).requeued(), "nothing is appended to a file in active/ by the tool");
        Path now = spool.recordDeferral(m, java.util.Map.of(MailAddress.parse("b@example.net"), "busy"),
                java.time.Instant.now().plusSeconds(3600));
        assertEquals(dir.resolve("incoming").resolve(id), now);
        assertTrue(spool.read(now).requeued());
    }

    /**
     * A requeue record counts only in the file of the queue ID it names: a tool's append that
     * landed late, on a file since delivered and reused for another message, changes nothing there.
     */
    @Test
    void aRequeueRecordNamingAnotherMessageIsIgnored() throws Exception {
        Path f = commit(FILTER, 10, "b@example.net");
        Files.write(f, QueueRecords.requeued(java.time.Instant.now(), QueueId.next().toString()),
                java.nio.file.StandardOpenOption.APPEND);
        assertFalse(spool.read(f).requeued());
        assertTrue(QueueFile.appendRequeued(f, java.time.Instant.now()));
        assertTrue(spool.read(f).requeued());
    }

    /** A version 1 file (no end record: its content runs to the end) is moved as before, never appended to. */
    @Test
    void aVersion1FileIsRequeuedWithoutARecord() throws Exception {
        QueueId id = QueueId.next();
        Path f = dir.resolve("deferred").resolve(id.toString());
        String v1 = "postern-queue 1\nid " + id + "\narrival 1700000000123\nsender a@example.org\nclient x[192.0.2.1]\n"
                + "helo x\nprotocol ESMTP\nsmtputf8 0\nrcpt b@example.net\n\nSubject: old\r\n\r\nfrom release 1\r\n";
        Files.writeString(f, v1, StandardCharsets.US_ASCII);
        assertEquals(List.of(id.toString()), QueueControl.open(dir).requeue(List.of(id.toString()), null).done());
        Path moved = dir.resolve("incoming").resolve(id.toString());
        assertEquals(v1, Files.readString(moved, StandardCharsets.US_ASCII));
        assertFalse(spool.read(moved).requeued());
    }

    /** A changed filter line fails the checksum: the message is never sent where it was not meant to go. */
    @Test
    void theFilterLineIsCoveredByTheChecksum() throws Exception {
        Path f = commit(FILTER, 10, "b@example.net");
        byte[] b = Files.readAllBytes(f);
        String s = new String(b, StandardCharsets.ISO_8859_1);
        int at = s.indexOf("10024");
        b[at + 4] = '5'; // :10025, the re-injection port: a loop around the filter
        Files.write(f, b);
        assertThrows(CorruptQueueFileException.class, () -> spool.read(f));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("checksum mismatch")), warnings.toString());
    }
}

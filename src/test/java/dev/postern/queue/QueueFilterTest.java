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
            assertTrue(header(f).contains("\nfilter " + FILTER + "\ncontext local\nrcpt b@example.net\n"), header(f));
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
     * postern queue requeue (postsuper -r): the tool moves the file to maildrop/, as Postfix's
     * postsuper does, untouched (its records too), for pickup to submit again; ALL takes every
     * deferred, held and incoming message.
     */
    @Test
    void aRequeueMovesTheFileToMaildropUntouched() throws Exception {
        MailAddress b = MailAddress.parse("b@example.net");
        Path f = commit(FILTER, 10, "b@example.net", "c@example.org");
        String id = f.getFileName().toString();
        QueuedMessage m = spool.read(spool.activate(f));
        spool.markDone(m, List.of(MailAddress.parse("c@example.org")));
        Path deferred = spool.recordDeferral(spool.read(m.file()), java.util.Map.of(b, "451 4.3.0 scanner busy"),
                java.time.Instant.now().plusSeconds(3600));
        byte[] before = Files.readAllBytes(deferred);

        QueueControl.Outcome o = QueueControl.open(dir).requeue(List.of(id), null);
        assertEquals(List.of(id), o.done());
        Path dropped = dir.resolve("maildrop").resolve(id);
        assertTrue(Files.exists(dropped));
        assertFalse(Files.exists(deferred));
        org.junit.jupiter.api.Assertions.assertArrayEquals(before, Files.readAllBytes(dropped));
        QueuedMessage q = Spool.readQueueFile(dropped);
        assertEquals(List.of(b), q.envelope().recipients(), "the recipient done stays done");
        assertTrue(Spool.isQueueFile(Files.readAllBytes(dropped)));

        Path held = dir.resolve("hold").resolve(commit(FILTER, 1, "d@example.net").getFileName().toString());
        Files.move(dir.resolve("incoming").resolve(held.getFileName()), held);
        assertEquals(1, QueueControl.open(dir).requeue(List.of("ALL"), null).done().size());
        assertTrue(Files.exists(dir.resolve("maildrop").resolve(held.getFileName())));
    }

    /** A message being delivered gets a request; when the attempt ends the daemon moves it to maildrop/. */
    @Test
    void aRequeueRequestLeftForAMessageBeingDeliveredIsCarriedOutWhenTheAttemptEnds() throws Exception {
        Path f = commit(FILTER, 10, "b@example.net");
        String id = f.getFileName().toString();
        QueuedMessage m = spool.read(spool.activate(f));
        QueueControl.Outcome o = QueueControl.open(dir).requeue(List.of(id), null);
        assertEquals(List.of(id), o.pending());
        Path now = spool.recordDeferral(m, java.util.Map.of(MailAddress.parse("b@example.net"), "busy"),
                java.time.Instant.now().plusSeconds(3600));
        assertEquals(dir.resolve("maildrop").resolve(id), now);
    }

    /**
     * A requeue record (what an older version's tool appended) counts only in the file of the queue
     * ID it names: a tool's append that landed late, on a file since delivered and reused for
     * another message, changes nothing there.
     */
    @Test
    void aRequeueRecordNamingAnotherMessageIsIgnored() throws Exception {
        Path f = commit(FILTER, 10, "b@example.net");
        Files.write(f, QueueRecords.requeued(java.time.Instant.now(), QueueId.next().toString()),
                java.nio.file.StandardOpenOption.APPEND);
        assertFalse(spool.read(f).requeued());
        Files.write(f, QueueRecords.requeued(java.time.Instant.now(), f.getFileName().toString()),
                java.nio.file.StandardOpenOption.APPEND);
        assertTrue(spool.read(f).requeued());
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

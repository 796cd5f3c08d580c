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

package dev.postern.queue;

import dev.postern.mail.Dsn;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.ReversePath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The RFC 3461 envelope lines of a queue file: written, read back (also after a recipient is
 * marked done), absent in older files (read as "none given"), and covered by the end record's
 * checksum like the rest of the header.
 */
class QueueDsnTest {
    @TempDir
    Path dir;
    Spool spool;

    private static final MailAddress A = MailAddress.parse("a@example.net");
    private static final MailAddress B = MailAddress.parse("b@example.net");

    @BeforeEach
    void open() throws Exception {
        spool = Spool.open(dir, Duration.ofHours(1), new Spool.Events() {
            @Override
            public void info(String text) {
            }

            @Override
            public void warning(String text) {
            }
        });
    }

    @AfterEach
    void close() {
        spool.close();
    }

    private Path commit(QueueEnvelope env) throws Exception {
        SpoolWriter w = new SpoolWriter(spool, env.id());
        w.begin(env);
        w.write(ByteBuffer.wrap("Subject: dsn\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
        w.commit().get(10, TimeUnit.SECONDS);
        return spool.root().resolve("incoming").resolve(env.id().toString());
    }

    private static QueueEnvelope envelope(Dsn dsn, Map<MailAddress, RecipientDsn> rcptDsn) {
        return new QueueEnvelope(QueueId.next(), Instant.ofEpochMilli(1_700_000_000_123L),
                ReversePath.of(MailAddress.parse("s@example.org")), "c[192.0.2.1]", "c", "ESMTP", false, false,
                List.of(A, B), dsn, rcptDsn);
    }

    @Test
    void dsnLinesAreWrittenAndReadBack() throws Exception {
        RecipientDsn forA = new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS, RecipientDsn.Notify.FAILURE), "rfc822",
                "orig a+b=c@example.org");
        Path f = commit(envelope(new Dsn(Dsn.Ret.HDRS, "env id+1"), Map.of(A, forA)));
        String text = Files.readString(f, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("\nret HDRS\nenvid env+20id+2B1\ncontext local\nrcpt a@example.net\nnotify SUCCESS,FAILURE\n"
                + "orcpt rfc822;orig+20a+2Bb+3Dc@example.org\nrcpt b@example.net\n\n"), text);
        QueueEnvelope back = spool.read(f).envelope();
        assertEquals(new Dsn(Dsn.Ret.HDRS, "env id+1"), back.dsn());
        assertEquals(forA, back.dsnOf(A));
        assertEquals(RecipientDsn.NONE, back.dsnOf(B));

        spool.markDone(spool.read(f), List.of(B));
        QueueEnvelope after = spool.read(f).envelope();
        assertEquals(List.of(A), after.recipients());
        assertEquals(forA, after.dsnOf(A), "kept when other recipients are done");
        assertEquals(Dsn.Ret.HDRS, after.dsn().ret());
    }

    @Test
    void aFileWithoutDsnLinesReadsAsNoneGiven() throws Exception {
        Path f = commit(envelope(Dsn.NONE, Map.of()));
        assertTrue(!Files.readString(f, StandardCharsets.ISO_8859_1).contains("\nret "));
        QueueEnvelope back = spool.read(f).envelope();
        assertTrue(back.dsn().isNone());
        assertEquals(RecipientDsn.NONE, back.dsnOf(A));
    }

    @Test
    void theChecksumCoversTheDsnLines() throws Exception {
        Path f = commit(envelope(new Dsn(Dsn.Ret.FULL, null), Map.of(A, new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER),
                null, null))));
        String text = Files.readString(f, StandardCharsets.ISO_8859_1);
        Files.writeString(f, text.replace("notify NEVER", "notify DELAY"), StandardCharsets.ISO_8859_1);
        assertThrows(CorruptQueueFileException.class, () -> spool.read(f), "a changed NOTIFY line fails the check");
    }

    @Test
    void originalRecipientsAndExpandedAliasesAreWrittenReadBackAndCleared() throws Exception {
        MailAddress alias = MailAddress.parse("team@example.net");
        RecipientDsn success = new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), "rfc822", "Team+x@example.net");
        QueueEnvelope.Expanded owed = new QueueEnvelope.Expanded(alias, "Team+x@example.net", success);
        QueueEnvelope.Expanded bare = new QueueEnvelope.Expanded(alias, "team", RecipientDsn.NONE); // as sendmail was given it
        QueueEnvelope base = envelope(Dsn.NONE, Map.of());
        QueueEnvelope env = new QueueEnvelope(base.id(), base.arrival(), base.sender(), base.client(), base.helo(),
                base.protocol(), false, false, base.recipients(), Dsn.NONE, Map.of(), null, Map.of(B, "team@example.net"), List.of(owed, bare));
        Path f = commit(env);
        String text = Files.readString(f, StandardCharsets.ISO_8859_1);
        assertTrue(text.contains("\nrcpt a@example.net\nrcpt b@example.net\norig team@example.net\n"
                + "expanded team@example.net Team+2Bx@example.net SUCCESS rfc822;Team+2Bx@example.net\n"
                + "expanded team@example.net team - -\n\n"), text);
        QueuedMessage back = spool.read(f);
        assertEquals("team@example.net", back.envelope().originalOf(B));
        assertEquals(null, back.envelope().originalOf(A));
        assertEquals(List.of(owed, bare), back.envelope().expanded());

        spool.markDone(back, List.of(A));
        QueuedMessage cleared = spool.clearExpanded(spool.read(f));
        assertEquals(List.of(), cleared.envelope().expanded());
        assertEquals(List.of(B), cleared.envelope().recipients(), "done recipients stay done");
        assertEquals("team@example.net", cleared.envelope().originalOf(B), "the original stays with its recipient");
        Files.writeString(f, Files.readString(f, StandardCharsets.ISO_8859_1).replace("orig team@", "orig teem@"),
                StandardCharsets.ISO_8859_1);
        assertThrows(CorruptQueueFileException.class, () -> spool.read(f), "the checksum covers the orig line");
    }

    /**
     * A file from before the context line: a requeue rewrites its headers in the "remote" context
     * unless it is local mail (the safe side: a remote client's headers are never rewritten).
     */
    @Test
    void aFileWithoutTheContextLineIsRemoteUnlessLocalMail() throws Exception {
        for (String protocol : List.of("ESMTP", "local")) {
            QueueId id = QueueId.next();
            Path f = dir.resolve("deferred").resolve(id.toString());
            Files.writeString(f, "postern-queue 1\nid " + id + "\narrival 1700000000123\nsender a@example.org\n"
                    + "client x[192.0.2.1]\nhelo x\nprotocol " + protocol + "\nsmtputf8 0\nrcpt b@example.net\n\n"
                    + "Subject: old\r\n\r\nbody\r\n", StandardCharsets.US_ASCII);
            assertEquals(!protocol.equals("local"), spool.read(f).envelope().remoteHeaderContext(), protocol);
        }
        Path written = commit(envelope(Dsn.NONE, Map.of()));
        assertTrue(Files.readString(written, StandardCharsets.ISO_8859_1).contains("\ncontext local\n"));
        assertEquals(false, spool.read(written).envelope().remoteHeaderContext());
    }
}

package dev.postern.queue;

import dev.postern.mail.QueueId;
import dev.postern.util.AtomicFile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a start does to the spool before any delivery (Postfix: master's and qmgr's start-up):
 * <ol>
 * <li>every entry of incoming/, active/, deferred/ and hold/ that cannot be a queue file (a name
 * that is not a queue ID; in all but deferred/ also anything that is not a regular file) goes to
 * corrupt/ with a warning. deferred/ may hold a million messages, so its files are checked by
 * type when they come due (a read checks everything), not by a stat each at start;</li>
 * <li>active/ goes back to incoming/: a delivery in progress at the stop is retried;</li>
 * <li>unfinished temp files ({@code .tmp-ID}, never acknowledged) and interrupted rewrites
 * ({@code .rw-ID}, the original is intact) are deleted;</li>
 * <li>operator requests left for messages that were active are carried out.</li>
 * </ol>
 */
final class SpoolRecovery {
    private final Spool spool;
    private final OperatorRequests requests;
    private final List<String> notes = new ArrayList<>();

    SpoolRecovery(Spool spool, OperatorRequests requests) {
        this.spool = spool;
        this.requests = requests;
    }

    List<String> run() throws IOException {
        for (Spool.Queue q : List.of(Spool.Queue.INCOMING, Spool.Queue.ACTIVE, Spool.Queue.DEFERRED, Spool.Queue.HOLD)) {
            sweep(q);
        }
        for (Path f : spool.list(Spool.Queue.ACTIVE)) {
            AtomicFile.moveDurably(f, spool.dir(Spool.Queue.INCOMING).resolve(f.getFileName()));
            notes.add(f.getFileName() + ": requeued from active");
        }
        for (String id : requests.pendingIds()) {
            applyRequest(id);
        }
        return notes;
    }

    private void sweep(Spool.Queue q) throws IOException {
        // Only names that need something done are kept: deferred/ may hold a million good ones.
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(q),
                f -> q != Spool.Queue.DEFERRED || !QueueId.isValid(f.getFileName().toString()))) {
            ds.forEach(entries::add);
        }
        for (Path f : entries) {
            String name = f.getFileName().toString();
            if (name.startsWith(".tmp-") || name.startsWith(".rw-")) {
                Files.deleteIfExists(f);
                notes.add(name + (name.startsWith(".tmp-") ? ": removed unfinished temp file" : ": removed interrupted rewrite"));
            } else if (!QueueId.isValid(name)) {
                spool.quarantine(f, "not a queue file name");
                notes.add(name + ": saved to corrupt");
            } else if (q != Spool.Queue.DEFERRED) {
                try {
                    QueueFile.checkRegular(f);
                } catch (CorruptQueueFileException e) {
                    spool.quarantine(f, e.getMessage());
                    notes.add(name + ": saved to corrupt");
                }
            }
        }
    }

    private void applyRequest(String id) throws IOException {
        for (Spool.Queue q : List.of(Spool.Queue.INCOMING, Spool.Queue.DEFERRED, Spool.Queue.HOLD)) {
            Path f = spool.dir(q).resolve(id);
            if (Files.exists(f)) {
                Optional<OperatorRequests.Verb> verb = requests.claim(id);
                if (verb.isPresent()) {
                    spool.apply(f, verb.get());
                }
                return;
            }
        }
        requests.claim(id); // the message is gone (delivered): nothing left to do
    }
}

package dev.postern.cli;

import dev.postern.pickup.Maildrop;
import dev.postern.queue.QueueControl;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code postern queue}: Postfix's mailq / postqueue / postsuper verbs on the queue, whether the
 * daemon runs or not (see {@link QueueControl} for why that is safe). With no verb, or {@code -p},
 * the mailq listing; {@code -j} JSON lines; {@code flush} (-f, -s site, -i ID), {@code delete} (-d),
 * {@code hold} (-h), {@code release} (-H), {@code requeue} (-r), {@code show ID}.
 */
@Command(name = "queue", description = "List and control the mail queue (mailq, postqueue, postsuper).",
        subcommands = {QueueCommand.Flush.class, QueueCommand.Delete.class, QueueCommand.Hold.class,
                QueueCommand.Release.class, QueueCommand.Requeue.class, QueueCommand.Show.class})
final class QueueCommand implements Callable<Integer> {
    @CommandLine.ParentCommand
    Main parent;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "-p", description = "list the queue like mailq (the default)")
    boolean plain;
    @Option(names = "-j", description = "list the queue as JSON lines, like postqueue -j")
    boolean json;
    @Option(names = "-f", description = "flush: make all deferred mail due now")
    boolean flush;
    @Option(names = "-s", paramLabel = "site", description = "flush mail for this destination only")
    String site;
    @Option(names = "-i", paramLabel = "ID", description = "flush these deferred messages only (postqueue -i)")
    List<String> flushIds;
    @Option(names = "-d", paramLabel = "ID", description = "delete (ALL for every message)")
    List<String> delete;
    @Option(names = "-h", paramLabel = "ID", description = "put on hold (ALL for every message)")
    List<String> hold;
    @Option(names = "-H", paramLabel = "ID", description = "release from hold (ALL for every message)")
    List<String> release;
    @Option(names = "-r", paramLabel = "ID", description = "requeue (ALL for every message)")
    List<String> requeue;
    @Parameters(arity = "0..1", paramLabel = "queue", description = "with ALL: only this queue (incoming, active, deferred, hold, corrupt)")
    String queueName;

    QueueControl control() throws IOException {
        return QueueControl.open(Control.queueDirectory(parent, spec));
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    @Override
    public Integer call() throws Exception {
        QueueControl c = control();
        Spool.Queue only = queue(queueName);
        if (delete != null) {
            return report(c.delete(delete, only), "Deleted", "removed");
        }
        if (hold != null) {
            return report(c.hold(hold, only), "Placed on hold", "placed on hold");
        }
        if (release != null) {
            return report(c.release(release), "Released from hold", "released from hold");
        }
        if (requeue != null) {
            int status = report(c.requeue(requeue, only), "Requeued", "requeued");
            c.warnings().forEach(w -> err().println("postern: warning: " + w));
            return status;
        }
        if (flushIds != null) {
            return report(c.flushIds(flushIds), "Scheduled", "scheduled for immediate delivery");
        }
        if (flush || site != null) {
            List<String> due = c.flush(site);
            err().println("postern: flushed " + due.size() + " deferred message" + (due.size() == 1 ? "" : "s")
                    + (site == null ? "" : " for " + site));
            return 0;
        }
        // Streamed: a million queued messages are listed in constant memory (QueueControl.list).
        if (json) {
            maildrop().forEach(e -> QueueListing.json(e, out()));
            c.list(e -> QueueListing.json(e, out()));
        } else {
            QueueListing.Text text = new QueueListing.Text(out());
            maildrop().forEach(text);
            c.list(text);
            text.finish();
        }
        out().flush();
        return 0;
    }

    /** Messages sendmail left in maildrop/ that pickup has not taken yet (Postfix's mailq shows them first). */
    private List<QueueControl.Entry> maildrop() throws IOException {
        List<QueueControl.Entry> out = new ArrayList<>();
        for (Maildrop.Waiting w : new Maildrop(Control.queueDirectory(parent, spec)).waiting()) {
            List<QueueControl.Recipient> rcpts = new ArrayList<>();
            for (int i = 0; i < w.recipients().size(); i++) {
                rcpts.add(new QueueControl.Recipient(w.recipients().get(i), null, w.originals().get(i)));
            }
            out.add(new QueueControl.Entry(null, w.name(), w.submitted(), w.size(), w.sender(), rcpts, null, w.problem()));
        }
        return out;
    }

    Spool.Queue queue(String name) {
        if (name == null) {
            return null;
        }
        try {
            return Spool.Queue.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "unknown queue \"" + name
                    + "\"; use incoming, active, deferred, hold or corrupt");
        }
    }

    /** postsuper's summary ("postsuper: Deleted: 3 messages") and a line per message. */
    int report(QueueControl.Outcome o, String summary, String verb) {
        for (String id : o.done()) {
            out().println(id + ": " + verb);
        }
        for (String id : o.pending()) {
            out().println(id + ": being delivered; " + verb + " when this attempt ends, unless it is delivered");
        }
        for (String id : o.missing()) {
            err().println("postern: warning: " + id + ": no such message in the queue");
        }
        int n = o.done().size();
        err().println("postern: " + summary + ": " + n + " message" + (n == 1 ? "" : "s"));
        return o.missing().isEmpty() ? 0 : 1;
    }

    /** Shared by the verb subcommands: IDs (or ALL) and an optional queue after ALL. */
    abstract static class Verb implements Callable<Integer> {
        @CommandLine.ParentCommand
        QueueCommand queue;
        @Parameters(arity = "1..*", paramLabel = "ID", description = "queue IDs, or ALL [queue]")
        List<String> args;

        List<String> ids() {
            if (args.get(0).equals("ALL")) {
                return List.of("ALL");
            }
            return args;
        }

        Spool.Queue only() {
            return args.get(0).equals("ALL") && args.size() > 1 ? queue.queue(args.get(1)) : null;
        }
    }

    @Command(name = "delete", description = "Delete messages (postsuper -d): ID... or ALL [queue].")
    static final class Delete extends Verb {
        @Override
        public Integer call() throws Exception {
            return queue.report(queue.control().delete(ids(), only()), "Deleted", "removed");
        }
    }

    @Command(name = "hold", description = "Put messages on hold (postsuper -h): ID... or ALL [queue].")
    static final class Hold extends Verb {
        @Override
        public Integer call() throws Exception {
            return queue.report(queue.control().hold(ids(), only()), "Placed on hold", "placed on hold");
        }
    }

    @Command(name = "release", description = "Release messages from hold (postsuper -H): ID... or ALL.")
    static final class Release extends Verb {
        @Override
        public Integer call() throws Exception {
            return queue.report(queue.control().release(ids()), "Released from hold", "released from hold");
        }
    }

    @Command(name = "requeue", description = "Route messages again now (postsuper -r): ID... or ALL [queue].")
    static final class Requeue extends Verb {
        @Override
        public Integer call() throws Exception {
            QueueControl c = queue.control();
            int status = queue.report(c.requeue(ids(), only()), "Requeued", "requeued");
            c.warnings().forEach(w -> queue.err().println("postern: warning: " + w));
            return status;
        }
    }

    @Command(name = "flush", description = "Make deferred mail due now and wake the daemon (postqueue -f, -s site, -i ID).")
    static final class Flush implements Callable<Integer> {
        @CommandLine.ParentCommand
        QueueCommand queue;
        @Option(names = "-s", paramLabel = "site", description = "only mail with a recipient in this domain")
        String site;
        @Option(names = "-i", paramLabel = "ID", description = "only these deferred messages (postqueue -i)")
        List<String> ids;

        @Override
        public Integer call() throws Exception {
            if (ids != null) {
                return queue.report(queue.control().flushIds(ids), "Scheduled", "scheduled for immediate delivery");
            }
            List<String> due = queue.control().flush(site);
            queue.err().println("postern: flushed " + due.size() + " deferred message" + (due.size() == 1 ? "" : "s")
                    + (site == null ? "" : " for " + site));
            return 0;
        }
    }

    @Command(name = "show", description = "Show one message: envelope, per-recipient state, headers (postcat -q).")
    static final class Show implements Callable<Integer> {
        @CommandLine.ParentCommand
        QueueCommand queue;
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            QueueControl c = queue.control();
            Optional<QueueControl.Entry> e = c.find(id);
            PrintWriter out = queue.out();
            if (e.isEmpty()) {
                Optional<QueuedMessage> requeued = requeued(id);
                if (requeued.isPresent()) {
                    out.println("queue: maildrop (requeued: pickup submits it again, with a new queue ID)");
                    out.println("id: " + id);
                    printMessage(requeued.get(), out);
                    return 0;
                }
                queue.err().println("postern: " + id + ": no such message in the queue");
                return 1;
            }
            QueueControl.Entry entry = e.get();
            out.println("queue: " + entry.queue().name().toLowerCase(Locale.ROOT)
                    + (entry.nextAttempt() == null ? "" : " (next attempt " + entry.nextAttempt() + ")"));
            out.println("id: " + entry.id());
            Optional<QueuedMessage> m = entry.problem() == null ? c.read(entry) : Optional.empty();
            if (m.isEmpty()) {
                out.println("problem: " + (entry.problem() != null ? entry.problem() : "the file fails its checksum")
                        + "; never delivered");
                return 1;
            }
            printMessage(m.get(), out);
            return 0;
        }

        /** A requeued message pickup has not taken yet: a queue file in maildrop/. */
        private Optional<QueuedMessage> requeued(String id) {
            if (!dev.postern.mail.QueueId.isValid(id)) {
                return Optional.empty();
            }
            try {
                java.nio.file.Path f = queue.control().root().resolve("maildrop").resolve(id);
                return Optional.of(dev.postern.queue.Spool.readQueueFile(f));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        private static void printMessage(QueuedMessage m, PrintWriter out) throws IOException {
            var env = m.envelope();
            out.println("arrival: " + env.arrival());
            out.println("size: " + m.content().size());
            out.println("sender: <" + env.sender() + ">");
            out.println("client: " + env.client() + ", helo=" + env.helo() + ", protocol=" + env.protocol()
                    + (env.eightBitMime() ? ", body=8BITMIME" : "") + (env.smtpUtf8() ? ", SMTPUTF8" : ""));
            if (env.filter() != null) {
                out.println("content filter: " + env.filter() + " (every recipient goes there)");
            }
            if (m.requeued()) {
                out.println("requeued (by an older version): the queue manager sends it to pickup again when it takes it");
            }
            out.println("recipients:");
            for (var r : env.recipients()) {
                String why = m.lastReason(r);
                out.println("  " + r + ": to deliver" + (why == null ? "" : " (last attempt " + m.lastReasonTime(r)
                        + ": " + why + ")"));
            }
            for (String done : m.done()) {
                out.println("  " + done + ": done");
            }
            if (m.delayNoticeSent() != null) {
                out.println("delay notice: sent " + m.delayNoticeSent());
            }
            out.println("headers:");
            for (String line : headers(m)) {
                out.println("  " + line);
            }
        }

        private static List<String> headers(QueuedMessage m) throws IOException {
            List<String> lines = new ArrayList<>();
            try (InputStream in = m.content().open()) {
                byte[] head = in.readNBytes(64 * 1024);
                for (String l : new String(head, StandardCharsets.UTF_8).split("\r\n", -1)) {
                    if (l.isEmpty()) {
                        break;
                    }
                    lines.add(l);
                }
            }
            return lines;
        }
    }
}

package dev.postern.cli;

import dev.postern.queue.QueueControl;
import dev.postern.queue.Spool;

import java.io.PrintWriter;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The two listings of {@code postern queue}, in Postfix's formats: {@code postqueue -p} (= mailq,
 * the long-queue-ID layout, since Postern's IDs are long) and {@code postqueue -j} (one JSON
 * object per message). Corrupt files are listed after the messages (Postfix does not list them;
 * an administrator needs to see them). Messages still in maildrop/ (sendmail's, not yet picked
 * up) come first, without a status mark, as Postfix's showq lists them; their entries have a null
 * queue.
 */
final class QueueListing {
    private static final DateTimeFormatter ASCTIME = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss", Locale.ENGLISH);
    /** Postfix right-aligns a deferral reason to column 79 (long ones start at column 0), checked against postqueue 3.7. */
    private static final int WIDTH = 79;

    private QueueListing() {}

    static void text(List<QueueControl.Entry> entries, PrintWriter out) {
        Text t = new Text(out);
        entries.forEach(t);
        t.finish();
    }

    /**
     * postqueue -p as the entries come (constant memory: the header is written before the first
     * message, the totals after the last). Entries with a problem are kept for the end, as
     * before: they are few (qmgr moves a bad file to corrupt/, which is listed last anyway).
     */
    static final class Text implements java.util.function.Consumer<QueueControl.Entry> {
        private final PrintWriter out;
        private final List<QueueControl.Entry> corrupt = new java.util.ArrayList<>();
        private long bytes;
        private long messages;

        Text(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void accept(QueueControl.Entry e) {
            if (e.problem() != null) {
                corrupt.add(e);
                return;
            }
            if (messages++ == 0) {
                out.printf("%-17s %8s %-19s %s%n", "----Queue ID-----", "--Size--", "---Arrival Time----", "--Sender/Recipient------");
            }
            bytes += e.size();
            String arrival = ASCTIME.format(e.arrival().atZone(ZoneId.systemDefault()));
            out.printf("%-17s %8d %19.19s %s%n", e.id() + status(e.queue()), e.size(), arrival,
                    e.sender().isEmpty() ? "MAILER-DAEMON" : e.sender());
            String lastReason = null;
            for (QueueControl.Recipient r : e.recipients()) {
                if (r.reason() != null && !r.reason().equals(lastReason)) {
                    int pad = Math.max(0, WIDTH - r.reason().length() - 2);
                    out.printf("%" + (pad == 0 ? "" : pad) + "s(%s)%n", "", r.reason());
                    lastReason = r.reason();
                }
                out.printf("%47s%s%n", "", r.address());
            }
            out.println();
        }

        void finish() {
            if (messages == 0) {
                out.println("Mail queue is empty");
            } else {
                out.printf("-- %d Kbytes in %d Request%s.%n", bytes / 1024, messages, messages == 1 ? "" : "s");
            }
            if (!corrupt.isEmpty()) {
                out.println();
                out.println("-- " + corrupt.size() + " corrupt file" + (corrupt.size() == 1 ? "" : "s")
                        + ", never delivered (postern queue show ID; postern queue delete ID):");
                for (QueueControl.Entry e : corrupt) {
                    out.printf("%-17s %8d %s/ (%s)%n", e.id(), e.size(), queueName(e), e.problem());
                }
            }
            out.flush();
        }
    }

    static String queueName(QueueControl.Entry e) {
        return e.queue() == null ? "maildrop" : e.queue().name().toLowerCase(Locale.ROOT);
    }

    private static String status(Spool.Queue q) {
        return q == Spool.Queue.ACTIVE ? "*" : q == Spool.Queue.HOLD ? "!" : "";
    }

    /**
     * postqueue -j: the same keys and order as Postfix 3.11 (which added each recipient's
     * orig_address); corrupt files with queue_name "corrupt".
     */
    static void json(List<QueueControl.Entry> entries, PrintWriter out) {
        entries.forEach(e -> json(e, out));
    }

    /** One postqueue -j line. */
    static void json(QueueControl.Entry e, PrintWriter out) {
        {
            StringBuilder sb = new StringBuilder("{");
            sb.append("\"queue_name\": \"").append(e.problem() == null || e.queue() == null ? queueName(e) : "corrupt")
                    .append("\", \"queue_id\": \"").append(esc(e.id()))
                    .append("\", \"arrival_time\": ").append(e.arrival() == null ? 0 : e.arrival().getEpochSecond())
                    .append(", \"message_size\": ").append(e.size())
                    .append(", \"forced_expire\": false, \"sender\": \"").append(esc(e.sender())).append("\", \"recipients\": [");
            for (int i = 0; i < e.recipients().size(); i++) {
                QueueControl.Recipient r = e.recipients().get(i);
                sb.append(i == 0 ? "" : ", ").append("{\"orig_address\": \"").append(esc(r.original()))
                        .append("\", \"address\": \"").append(esc(r.address())).append('"');
                if (r.reason() != null) {
                    sb.append(", \"delay_reason\": \"").append(esc(r.reason())).append('"');
                }
                sb.append('}');
            }
            sb.append(']');
            if (e.problem() != null) {
                sb.append(", \"problem\": \"").append(esc(e.problem())).append('"');
            }
            out.println(sb.append('}'));
        }
    }

    static String esc(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}

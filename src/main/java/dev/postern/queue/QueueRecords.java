package dev.postern.queue;

import dev.postern.mail.MailAddress;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Per-recipient records appended after a queue file's end record, so that recording a delivery
 * costs one small append and one fdatasync instead of rewriting the message:
 * <pre>
 * D&lt;TAB&gt;bob@example.org&lt;TAB&gt;crc                      (done: delivered or bounced, never again)
 * R&lt;TAB&gt;1764043200123&lt;TAB&gt;bob@example.org&lt;TAB&gt;reason&lt;TAB&gt;crc   (the last deferral reason)
 * W&lt;TAB&gt;1764043200123&lt;TAB&gt;crc                        (the delay notice was sent then: never again)
 * Q&lt;TAB&gt;1764043200123&lt;TAB&gt;1A2B3C...&lt;TAB&gt;crc             (requeued then, this queue ID: see {@link #requeued})
 * </pre>
 * {@code crc} is the CRC32C (8 hex digits) of the line before its last tab. Every append starts
 * with a newline, so a torn append (a crash in the middle of the write) leaves at most one bad
 * line, which fails its CRC and is ignored; the next append starts on a line of its own. A
 * recipient whose done record was torn is delivered again: a duplicate, never a loss. Addresses
 * never contain a tab or a newline (RFC 5321 allows neither); reasons are cleaned of them.
 */
final class QueueRecords {
    private QueueRecords() {}

    /**
     * What the records say: recipients done, the last deferral reason (and its time) of others,
     * and when the sender was sent a delay notice (null: not yet). The notice time is in the file,
     * not in qmgr's memory, so a restart never sends a second one and a million deferred
     * messages cost qmgr no memory for it. {@code requeued}: when an operator requeued the
     * message and the queue manager has not taken it since (null: not pending).
     */
    record State(Set<String> done, Map<String, String> reasons, Map<String, Instant> reasonTimes, Instant delayNotice,
                 Instant requeued) {
        State(Set<String> done, Map<String, String> reasons, Map<String, Instant> reasonTimes, Instant delayNotice) {
            this(done, reasons, reasonTimes, delayNotice, null);
        }

        State(Set<String> done, Map<String, String> reasons, Map<String, Instant> reasonTimes) {
            this(done, reasons, reasonTimes, null);
        }

        static State empty() {
            return new State(Set.of(), Map.of(), Map.of(), null);
        }
    }

    static byte[] delayNotice(Instant at) {
        StringBuilder sb = new StringBuilder("\n");
        line(sb, "W\t" + at.toEpochMilli());
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * {@code postern queue requeue} (Postfix's postsuper -r) was asked for: Postfix puts the
     * message back in maildrop/, where pickup drops its FILTER record and writes its own
     * content_filter; Postern's queue manager does that when it next takes the message from
     * incoming/ (dev.postern.qmgr.QueueManager), then rewrites the file without this record. An
     * appended record, not a rewrite, because the queue tools must not rewrite a file the daemon
     * may be taking at that moment: an append never creates a file and lands on the message
     * whichever directory it is in by then. It names the queue ID and counts only in that
     * message's file: should the tool's write land late, on a file that meanwhile was delivered
     * and reused for another message (RecycleBin), it is ignored there.
     */
    static byte[] requeued(Instant at, String queueId) {
        StringBuilder sb = new StringBuilder("\n");
        line(sb, "Q\t" + at.toEpochMilli() + "\t" + queueId);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] done(Collection<MailAddress> recipients) {
        StringBuilder sb = new StringBuilder("\n");
        for (MailAddress r : recipients) {
            line(sb, "D\t" + r);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] reasons(Map<MailAddress, String> reasons, Instant at) {
        StringBuilder sb = new StringBuilder("\n");
        for (Map.Entry<MailAddress, String> e : reasons.entrySet()) {
            line(sb, "R\t" + at.toEpochMilli() + "\t" + e.getKey() + "\t" + clean(e.getValue()));
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The same state written out again (when a file is rewritten), but for a pending requeue: the
     * queue manager rewrites only files it has taken, and taking one applies its requeue.
     */
    static byte[] reasons(State s) {
        StringBuilder sb = new StringBuilder("\n");
        for (Map.Entry<String, String> e : s.reasons().entrySet()) {
            Instant at = s.reasonTimes().getOrDefault(e.getKey(), Instant.EPOCH);
            line(sb, "R\t" + at.toEpochMilli() + "\t" + e.getKey() + "\t" + clean(e.getValue()));
        }
        if (s.delayNotice() != null) {
            line(sb, "W\t" + s.delayNotice().toEpochMilli());
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder sb, String body) {
        sb.append(body).append('\t').append(crc(body)).append('\n');
    }

    private static String clean(String reason) {
        String s = reason == null ? "" : reason.replaceAll("[\\x00-\\x1f\\x7f]", " ");
        return s.length() > 1000 ? s.substring(0, 1000) : s;
    }

    private static String crc(String body) {
        CRC32C c = new CRC32C();
        c.update(body.getBytes(StandardCharsets.UTF_8));
        return String.format("%08x", c.getValue());
    }

    /** Reads the record region of {@code queueId}'s file; bad lines (torn appends, garbage) are skipped. */
    static State parse(byte[] region, String queueId) {
        Set<String> done = new HashSet<>();
        Map<String, String> reasons = new LinkedHashMap<>();
        Map<String, Instant> times = new LinkedHashMap<>();
        Instant delayNotice = null;
        Instant requeued = null;
        for (String line : new String(region, StandardCharsets.UTF_8).split("\n")) {
            int lastTab = line.lastIndexOf('\t');
            if (lastTab < 0 || !line.substring(lastTab + 1).equals(crc(line.substring(0, lastTab)))) {
                continue;
            }
            String[] f = line.substring(0, lastTab).split("\t", -1);
            if (f[0].equals("D") && f.length == 2) {
                done.add(f[1]);
            } else if (f[0].equals("R") && f.length == 4) {
                try {
                    times.put(f[2], Instant.ofEpochMilli(Long.parseLong(f[1])));
                    reasons.put(f[2], f[3]);
                } catch (NumberFormatException ignored) {
                    // a CRC-valid line can still be from a newer version: skip what we cannot read
                }
            } else if (f[0].equals("W") && f.length == 2) {
                try {
                    delayNotice = Instant.ofEpochMilli(Long.parseLong(f[1]));
                } catch (NumberFormatException ignored) {
                    // as above
                }
            } else if (f[0].equals("Q") && f.length == 3 && f[2].equals(queueId)) {
                try {
                    requeued = Instant.ofEpochMilli(Long.parseLong(f[1]));
                } catch (NumberFormatException ignored) {
                    // as above
                }
            }
        }
        return new State(done, reasons, times, delayNotice, requeued);
    }
}

package dev.postern.queue;

import dev.postern.mail.Dsn;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.ReversePath;
import dev.postern.mail.Xtext;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The envelope block at the head of a queue file, in text so an administrator can read it with
 * {@code head}:
 * <pre>
 * postern-queue 2
 * id 1A2B3C...
 * size 0000000000004711   (content length, fixed width: filled in at commit, see SpoolWriter)
 * arrival 1764043200123
 * sender alice@example.com
 * client localhost[127.0.0.1]
 * helo fred
 * protocol ESMTPS
 * smtputf8 0
 * body 8bitmime        (only when the client declared BODY=8BITMIME)
 * ret HDRS             (RFC 3461 RET, only when given)
 * envid QWERTY+2B1     (RFC 3461 ENVID, xtext, only when given)
 * filter smtp-amavis:[127.0.0.1]:10024 (content filter, transport:nexthop, only when set)
 * context local        (cleanup's header rewrite context, local or remote: a requeue keeps it)
 * rcpt bob@example.org
 * notify SUCCESS,FAILURE   (RFC 3461 NOTIFY of the rcpt above, only when given)
 * orcpt rfc822;bob+40example.org (its ORCPT, type;xtext, only when given)
 * orig bob@example.net  (the rcpt above as it came in, only when address rewriting changed it)
 * expanded alias@example.org alias@example.net SUCCESS rfc822;alias+40example.net
 *                       (a NOTIFY=SUCCESS recipient that virtual aliasing expanded: owed its
 *                        "expanded" success notice; address, original, NOTIFY, ORCPT or -, xtext)
 * (blank line, then the message content exactly as received, CRLF line endings)
 * end 1a2b3c4d          (CRC32C of the content followed by this header, see QueueFile)
 * (appended per-recipient records, see QueueRecords)
 * </pre>
 * Version 1 (the first release) had no size line, no end record and no appended records: its
 * content runs to the end of the file. It is still read; it is rewritten as version 2 before
 * anything is appended to it. Files written before the DSN lines existed read as "no DSN
 * parameters"; the DSN lines are part of the header, so the end record's checksum covers them.
 *
 * <p>{@code filter} is the message's content filter (Postfix's REC_TYPE_FILT record: main.cf or
 * master.cf content_filter, or an access(5) FILTER action), {@code transport:nexthop} as written,
 * null when none: the queue manager then sends every recipient there instead of routing it. The
 * line is written only when there is a filter (a message without one costs nothing) and, like
 * every header line, lies inside the checksum; files without it read as "no filter".
 *
 * <p>{@code orig} is Postfix's original recipient (its REC_TYPE_ORCP record, logged as
 * {@code orig_to=} and shown in notices as "expanded from"), written only for a recipient that
 * arrived as something else: changed by canonical mapping or virtual aliasing, or given to
 * sendmail in another form ({@code root}, {@code host!user}: any text of one line, not only an
 * address). {@code expanded} lines are Postfix's "expanded"
 * trace records (cleanup_out_recipient()): the queue manager sends them in one success notice
 * after the first delivery attempt and rewrites the file without them. Each is one line, so a
 * version that does not know them skips them whole. {@code context}: cleanup rewrote the header
 * addresses in Postfix's "local" or "remote" context (remote: a client outside
 * local_header_rewrite_clients); a requeued message is rewritten again in the same context, as
 * Postfix's. A file without the line (written before it existed) counts as remote unless its
 * protocol is "local".
 */
public record QueueEnvelope(QueueId id, Instant arrival, ReversePath sender, String client, String helo,
                            String protocol, boolean smtpUtf8, boolean eightBitMime, List<MailAddress> recipients,
                            Dsn dsn, Map<MailAddress, RecipientDsn> recipientDsn, String filter,
                            Map<MailAddress, String> originals, List<Expanded> expanded,
                            boolean remoteHeaderContext) {
    /**
     * A recipient that asked NOTIFY=SUCCESS and was expanded by virtual aliasing (or mapped to
     * another address by it): {@code address} after canonical mapping, {@code original} as it came
     * in, {@code dsn} its NOTIFY and ORCPT as it gave them.
     */
    public record Expanded(MailAddress address, String original, RecipientDsn dsn) {
    }

    static final String MAGIC_V1 = "postern-queue 1";
    static final String MAGIC = "postern-queue 2";
    /** Width of the content length in the size line: patched in place at commit without moving bytes. */
    static final int SIZE_DIGITS = 16;

    public QueueEnvelope {
        recipients = List.copyOf(recipients);
        dsn = dsn == null ? Dsn.NONE : dsn;
        recipientDsn = recipientDsn == null ? Map.of() : Map.copyOf(recipientDsn);
        originals = originals == null ? Map.of() : Map.copyOf(originals);
        // what the reader would refuse is never written: a queue file must read back
        originals.values().forEach(QueueEnvelope::original);
        expanded = expanded == null ? List.of() : List.copyOf(expanded);
        expanded.forEach(e -> original(e.original()));
        if (filter != null && (filter.isEmpty() || filter.indexOf('\n') >= 0 || filter.indexOf('\r') >= 0)) {
            throw new IllegalArgumentException("a content filter is one non-empty line");
        }
    }

    /** In the "local" header rewrite context. */
    public QueueEnvelope(QueueId id, Instant arrival, ReversePath sender, String client, String helo,
                         String protocol, boolean smtpUtf8, boolean eightBitMime, List<MailAddress> recipients,
                         Dsn dsn, Map<MailAddress, RecipientDsn> recipientDsn, String filter,
                         Map<MailAddress, String> originals, List<Expanded> expanded) {
        this(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, recipients, dsn, recipientDsn, filter,
                originals, expanded, false);
    }

    /** Without original recipients or expanded aliases (no address rewriting changed any). */
    public QueueEnvelope(QueueId id, Instant arrival, ReversePath sender, String client, String helo,
                         String protocol, boolean smtpUtf8, boolean eightBitMime, List<MailAddress> recipients,
                         Dsn dsn, Map<MailAddress, RecipientDsn> recipientDsn, String filter) {
        this(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, recipients, dsn, recipientDsn, filter,
                Map.of(), List.of());
    }

    /** Without a content filter. */
    public QueueEnvelope(QueueId id, Instant arrival, ReversePath sender, String client, String helo,
                         String protocol, boolean smtpUtf8, boolean eightBitMime, List<MailAddress> recipients,
                         Dsn dsn, Map<MailAddress, RecipientDsn> recipientDsn) {
        this(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, recipients, dsn, recipientDsn, null);
    }

    /** Without DSN parameters. */
    public QueueEnvelope(QueueId id, Instant arrival, ReversePath sender, String client, String helo,
                         String protocol, boolean smtpUtf8, boolean eightBitMime, List<MailAddress> recipients) {
        this(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, recipients, Dsn.NONE, Map.of());
    }

    public QueueEnvelope withRecipients(List<MailAddress> remaining) {
        return new QueueEnvelope(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, remaining,
                dsn, recipientDsn, filter, originals, expanded, remoteHeaderContext);
    }

    /** The same message once its "expanded" notice went out. */
    public QueueEnvelope withoutExpanded() {
        return new QueueEnvelope(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, recipients,
                dsn, recipientDsn, filter, originals, List.of(), remoteHeaderContext);
    }

    /** The recipient as it came in, when address rewriting changed it; null otherwise. */
    public String originalOf(MailAddress recipient) {
        return originals.isEmpty() ? null : originals.get(recipient);
    }

    /** The same message with this content filter ({@code transport:nexthop}; null: none). */
    public QueueEnvelope withFilter(String contentFilter) {
        return new QueueEnvelope(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, recipients,
                dsn, recipientDsn, contentFilter, originals, expanded, remoteHeaderContext);
    }

    /** The recipient's NOTIFY/ORCPT, {@link RecipientDsn#NONE} when it gave none. */
    public RecipientDsn dsnOf(MailAddress recipient) {
        return recipientDsn.getOrDefault(recipient, RecipientDsn.NONE);
    }

    /** The version 2 header with a zero size, and where its size digits start. */
    Encoded encode() {
        StringBuilder sb = new StringBuilder();
        sb.append(MAGIC).append('\n')
                .append("id ").append(id).append('\n');
        int sizeAt = sb.length() + "size ".length(); // ASCII up to here: chars = bytes
        sb.append("size ").append("0".repeat(SIZE_DIGITS)).append('\n')
                .append("arrival ").append(arrival.toEpochMilli()).append('\n')
                .append("sender ").append(sender).append('\n')
                .append("client ").append(oneLine(client)).append('\n')
                .append("helo ").append(oneLine(helo)).append('\n')
                .append("protocol ").append(protocol).append('\n')
                .append("smtputf8 ").append(smtpUtf8 ? 1 : 0).append('\n');
        if (eightBitMime) {
            sb.append("body 8bitmime\n");
        }
        if (dsn.ret() != null) {
            sb.append("ret ").append(dsn.ret()).append('\n');
        }
        if (dsn.envelopeId() != null) {
            sb.append("envid ").append(Xtext.encode(dsn.envelopeId())).append('\n');
        }
        if (filter != null) {
            sb.append("filter ").append(filter).append('\n');
        }
        sb.append(remoteHeaderContext ? "context remote\n" : "context local\n");
        for (MailAddress r : recipients) {
            sb.append("rcpt ").append(r).append('\n');
            RecipientDsn d = dsnOf(r);
            if (!d.notifyOn().isEmpty()) {
                sb.append("notify ").append(d.notifyKeywords()).append('\n');
            }
            if (d.orcptType() != null) {
                sb.append("orcpt ").append(orcpt(d)).append('\n');
            }
            String o = originalOf(r);
            if (o != null) {
                sb.append("orig ").append(o).append('\n');
            }
        }
        for (Expanded e : expanded) {
            sb.append("expanded ").append(Xtext.encode(e.address().toString())).append(' ')
                    .append(Xtext.encode(e.original())).append(' ')
                    .append(e.dsn().notifyOn().isEmpty() ? "-" : e.dsn().notifyKeywords()).append(' ')
                    .append(e.dsn().orcptType() == null ? "-" : orcpt(e.dsn())).append('\n');
        }
        sb.append('\n');
        return new Encoded(sb.toString().getBytes(StandardCharsets.UTF_8), sizeAt);
    }

    private static String orcpt(RecipientDsn d) {
        return Xtext.encode(d.orcptType()) + ';' + Xtext.encode(d.orcptAddress());
    }

    /** A header as bytes; {@link #withSize} fills in the content length. */
    record Encoded(byte[] bytes, int sizeOffset) {
        byte[] sizeDigits(long size) {
            String digits = Long.toString(size);
            return ("0".repeat(SIZE_DIGITS - digits.length()) + digits).getBytes(StandardCharsets.US_ASCII);
        }

        byte[] withSize(long size) {
            byte[] out = bytes.clone();
            System.arraycopy(sizeDigits(size), 0, out, sizeOffset, SIZE_DIGITS);
            return out;
        }
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replace('\r', ' ').replace('\n', ' '); // no regex: every queue file
    }

    /** The most a header may take: far more than 1000 recipients need, far less than memory. */
    private static final int HEADER_LIMIT = 16 << 20;

    /**
     * Reads the header; leaves {@code in} at the first content byte. Returns the header's bytes
     * (for the checksum), its version and, for version 2, the content length.
     */
    static Parsed read(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream(512);
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) >= 0) {
            all.write(b);
            if (b == '\n') {
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (lines.isEmpty() && !s.equals(MAGIC) && !s.equals(MAGIC_V1)) {
                    throw new CorruptQueueFileException("not a Postern queue file");
                }
                if (s.isEmpty()) {
                    return parse(lines, all.toByteArray());
                }
                lines.add(s);
            } else {
                line.write(b);
                if (lines.isEmpty() && line.size() > MAGIC.length()) {
                    throw new CorruptQueueFileException("not a Postern queue file");
                }
            }
            if (all.size() > HEADER_LIMIT) {
                break;
            }
        }
        throw new CorruptQueueFileException("queue file header is truncated");
    }

    /**
     * As {@link #read(InputStream)}, for a header at the start of {@code buf} (a small queue file
     * read whole, see {@link QueueFile#read}): the same checks, without three synchronized stream
     * calls per header byte.
     */
    static Parsed read(byte[] buf, int len) throws IOException {
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < len && i < HEADER_LIMIT; i++) {
            if (buf[i] != '\n') {
                if (lines.isEmpty() && i - start + 1 > MAGIC.length()) {
                    throw new CorruptQueueFileException("not a Postern queue file");
                }
                continue;
            }
            String s = new String(buf, start, i - start, StandardCharsets.UTF_8);
            if (lines.isEmpty() && !s.equals(MAGIC) && !s.equals(MAGIC_V1)) {
                throw new CorruptQueueFileException("not a Postern queue file");
            }
            if (s.isEmpty()) {
                return parse(lines, java.util.Arrays.copyOf(buf, i + 1));
            }
            lines.add(s);
            start = i + 1;
        }
        throw new CorruptQueueFileException("queue file header is truncated");
    }

    /** {@code contentLength} is -1 for version 1 (content to the end of the file). */
    record Parsed(QueueEnvelope envelope, int version, long contentLength, byte[] headerBytes) {
        long headerLength() {
            return headerBytes.length;
        }
    }

    private static Parsed parse(List<String> lines, byte[] headerBytes) throws IOException {
        int version = lines.get(0).equals(MAGIC) ? 2 : 1;
        long size = -1;
        QueueId id = null;
        Instant arrival = null;
        ReversePath sender = null;
        String client = "";
        String helo = "";
        String protocol = "ESMTP";
        boolean utf8 = false;
        boolean eightBit = false;
        List<MailAddress> rcpts = new ArrayList<>();
        Dsn.Ret ret = null;
        String envid = null;
        Map<MailAddress, RecipientDsn> rcptDsn = new HashMap<>();
        String filter = null;
        Map<MailAddress, String> originals = new HashMap<>();
        List<Expanded> expanded = new ArrayList<>();
        Boolean remote = null;
        try {
            for (String l : lines.subList(1, lines.size())) {
                int sp = l.indexOf(' ');
                String key = sp < 0 ? l : l.substring(0, sp);
                String value = sp < 0 ? "" : l.substring(sp + 1);
                switch (key) {
                    case "id" -> id = new QueueId(value);
                    case "size" -> size = Long.parseLong(value);
                    case "arrival" -> arrival = Instant.ofEpochMilli(Long.parseLong(value));
                    case "sender" -> sender = value.isEmpty() ? ReversePath.NULL : ReversePath.of(MailAddress.parse(value));
                    case "client" -> client = value;
                    case "helo" -> helo = value;
                    case "protocol" -> protocol = value;
                    case "smtputf8" -> utf8 = value.equals("1");
                    case "body" -> eightBit = value.equals("8bitmime");
                    case "rcpt" -> rcpts.add(MailAddress.parse(value));
                    case "ret" -> ret = Dsn.Ret.valueOf(value);
                    case "envid" -> envid = Xtext.decode(value);
                    case "filter" -> filter = value.isEmpty() ? null : value;
                    case "notify", "orcpt" -> dsnLine(key, value, rcpts, rcptDsn);
                    case "orig" -> {
                        if (rcpts.isEmpty()) {
                            throw new IllegalArgumentException("orig before any rcpt");
                        }
                        originals.put(rcpts.get(rcpts.size() - 1), original(value));
                    }
                    case "expanded" -> expanded.add(expandedLine(value));
                    case "context" -> remote = value.equals("remote");
                    default -> { } // unknown records from newer versions are ignored
                }
            }
        } catch (IllegalArgumentException e) {
            throw new CorruptQueueFileException("bad queue file record: " + e.getMessage());
        }
        if (id == null || arrival == null || sender == null) {
            throw new CorruptQueueFileException("queue file lacks id, arrival or sender");
        }
        if (version == 2 && size < 0) {
            throw new CorruptQueueFileException("queue file lacks its size record");
        }
        return new Parsed(new QueueEnvelope(id, arrival, sender, client, helo, protocol, utf8, eightBit, rcpts,
                new Dsn(ret, envid), rcptDsn, filter, originals, expanded,
                // a file from before the context line: remote unless local mail, so a requeue never
                // rewrites a remote client's headers (the safe side)
                remote != null ? remote : !protocol.equals("local")), version, size, headerBytes);
    }

    /** {@code address original notify|- type;xtext|-}, the addresses in xtext. */
    private static Expanded expandedLine(String value) {
        String[] f = value.split(" ", -1);
        if (f.length != 4) {
            throw new IllegalArgumentException("bad expanded record");
        }
        java.util.Set<RecipientDsn.Notify> notify = f[2].equals("-") ? java.util.Set.of() : RecipientDsn.parseNotify(f[2]);
        String type = null;
        String orcpt = null;
        if (!f[3].equals("-")) {
            int semi = f[3].indexOf(';');
            if (semi <= 0) {
                throw new IllegalArgumentException("bad orcpt");
            }
            type = Xtext.decode(f[3].substring(0, semi));
            orcpt = Xtext.decode(f[3].substring(semi + 1));
        }
        return new Expanded(MailAddress.parse(Xtext.decode(f[0])), original(Xtext.decode(f[1])),
                new RecipientDsn(notify, type, orcpt));
    }

    /**
     * An original recipient as it came in: an address, or for local mail what sendmail was given
     * ({@code root}, {@code host!user}: Postfix's orig_rcpt is the address before trivial-rewrite
     * completed it). One line, nothing that could end it or hide in a log line.
     */
    static String original(String value) {
        if (!isValidOriginal(value)) {
            throw new IllegalArgumentException("bad original recipient");
        }
        return value;
    }

    /** What an original recipient may be (the reader refuses anything else): writers check with this first. */
    public static boolean isValidOriginal(String value) {
        if (value.isEmpty() || value.length() > MailAddress.MAX_PATH) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** A notify or orcpt line: it belongs to the rcpt line above it. */
    private static void dsnLine(String key, String value, List<MailAddress> rcpts, Map<MailAddress, RecipientDsn> out) {
        if (rcpts.isEmpty()) {
            throw new IllegalArgumentException(key + " before any rcpt");
        }
        MailAddress r = rcpts.get(rcpts.size() - 1);
        RecipientDsn d = out.getOrDefault(r, RecipientDsn.NONE);
        if (key.equals("notify")) {
            d = new RecipientDsn(RecipientDsn.parseNotify(value), d.orcptType(), d.orcptAddress());
        } else {
            int semi = value.indexOf(';');
            if (semi <= 0) {
                throw new IllegalArgumentException("bad orcpt");
            }
            d = new RecipientDsn(d.notifyOn(), Xtext.decode(value.substring(0, semi)), Xtext.decode(value.substring(semi + 1)));
        }
        out.put(r, d);
    }
}

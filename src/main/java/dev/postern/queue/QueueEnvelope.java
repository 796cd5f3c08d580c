package dev.postern.queue;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The envelope block at the head of a queue file, in text so an administrator can read it with
 * {@code head}:
 * <pre>
 * postern-queue 1
 * id 1A2B3C...
 * arrival 1764043200123
 * sender alice@example.com
 * client localhost[127.0.0.1]
 * helo fred
 * protocol ESMTPS
 * smtputf8 0
 * body 8bitmime        (only when the client declared BODY=8BITMIME)
 * rcpt bob@example.org
 * (blank line, then the message content exactly as received, CRLF line endings)
 * </pre>
 * Recipients listed are the ones still to deliver: a partial delivery rewrites the file without the
 * done ones.
 */
public record QueueEnvelope(QueueId id, Instant arrival, ReversePath sender, String client, String helo,
                            String protocol, boolean smtpUtf8, boolean eightBitMime, List<MailAddress> recipients) {
    static final String MAGIC = "postern-queue 1";

    public QueueEnvelope {
        recipients = List.copyOf(recipients);
    }

    public QueueEnvelope withRecipients(List<MailAddress> remaining) {
        return new QueueEnvelope(id, arrival, sender, client, helo, protocol, smtpUtf8, eightBitMime, remaining);
    }

    byte[] header() {
        StringBuilder sb = new StringBuilder();
        sb.append(MAGIC).append('\n')
                .append("id ").append(id).append('\n')
                .append("arrival ").append(arrival.toEpochMilli()).append('\n')
                .append("sender ").append(sender).append('\n')
                .append("client ").append(oneLine(client)).append('\n')
                .append("helo ").append(oneLine(helo)).append('\n')
                .append("protocol ").append(protocol).append('\n')
                .append("smtputf8 ").append(smtpUtf8 ? 1 : 0).append('\n');
        if (eightBitMime) {
            sb.append("body 8bitmime\n");
        }
        for (MailAddress r : recipients) {
            sb.append("rcpt ").append(r).append('\n');
        }
        sb.append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]", " ");
    }

    /** Reads the header; leaves {@code in} at the first content byte. Returns the header length too. */
    static Parsed read(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        long consumed = 0;
        int b;
        while ((b = in.read()) >= 0) {
            consumed++;
            if (b == '\n') {
                String s = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (s.isEmpty()) {
                    return new Parsed(parse(lines), consumed);
                }
                lines.add(s);
                if (lines.size() > 100_000) {
                    break;
                }
            } else {
                line.write(b);
            }
        }
        throw new IOException("queue file header is truncated");
    }

    record Parsed(QueueEnvelope envelope, long headerLength) {
    }

    private static QueueEnvelope parse(List<String> lines) throws IOException {
        if (lines.isEmpty() || !lines.get(0).equals(MAGIC)) {
            throw new IOException("not a Postern queue file");
        }
        QueueId id = null;
        Instant arrival = null;
        ReversePath sender = null;
        String client = "";
        String helo = "";
        String protocol = "ESMTP";
        boolean utf8 = false;
        boolean eightBit = false;
        List<MailAddress> rcpts = new ArrayList<>();
        try {
            for (String l : lines.subList(1, lines.size())) {
                int sp = l.indexOf(' ');
                String key = sp < 0 ? l : l.substring(0, sp);
                String value = sp < 0 ? "" : l.substring(sp + 1);
                switch (key) {
                    case "id" -> id = new QueueId(value);
                    case "arrival" -> arrival = Instant.ofEpochMilli(Long.parseLong(value));
                    case "sender" -> sender = value.isEmpty() ? ReversePath.NULL : ReversePath.of(MailAddress.parse(value));
                    case "client" -> client = value;
                    case "helo" -> helo = value;
                    case "protocol" -> protocol = value;
                    case "smtputf8" -> utf8 = value.equals("1");
                    case "body" -> eightBit = value.equals("8bitmime");
                    case "rcpt" -> rcpts.add(MailAddress.parse(value));
                    default -> { } // unknown records from newer versions are ignored
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IOException("bad queue file record: " + e.getMessage());
        }
        if (id == null || arrival == null || sender == null) {
            throw new IOException("queue file lacks id, arrival or sender");
        }
        return new QueueEnvelope(id, arrival, sender, client, helo, protocol, utf8, eightBit, rcpts);
    }
}

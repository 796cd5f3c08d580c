package dev.postern.bounce;

import dev.postern.mail.MessageContent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Writes one RFC 3464 delivery status notification as Postfix's bounce(8) lays it out
 * (bounce_notify_util.c): a multipart/report; report-type=delivery-status with a human-readable
 * text/plain part (the bounce template and one paragraph per recipient), the
 * message/delivery-status part (per-message fields, then one block per recipient), and the
 * original as message/rfc822 (or its headers as text/rfc822-headers when RET=HDRS, for postmaster
 * copies, or when it is larger than bounce_size_limit). CRLF line endings throughout.
 */
final class DsnMessage {
    /** Which notice: the template, subjects and Action value differ. */
    enum Kind {
        FAILURE("failed", "Undelivered Mail Returned to Sender", "Postmaster Copy: Undelivered Mail"),
        DELAY("delayed", "Delayed Mail (still being retried)", "Postmaster Warning: Delayed Mail"),
        /** NOTIFY=SUCCESS (Postfix's trace service, "success" template); per recipient "relayed" or "delivered". */
        SUCCESS("delivered", "Successful Mail Delivery Report", "Successful Mail Delivery Report");

        final String action;
        final String subject;
        final String postmasterSubject;

        Kind(String action, String subject, String postmasterSubject) {
            this.action = action;
            this.subject = subject;
            this.postmasterSubject = postmasterSubject;
        }
    }

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private final BounceSettings settings;
    private final ZoneId zone;

    DsnMessage(BounceSettings settings, ZoneId zone) {
        this.settings = settings;
        this.zone = zone;
    }

    /**
     * The notice to {@code to}. A postmaster copy has the postmaster subject and no boilerplate,
     * as in Postfix. {@code ret} decides what of the original is returned (HDRS also when the
     * original is over bounce_size_limit).
     */
    byte[] write(Kind kind, Report r, String to, boolean postmasterCopy, Report.Return ret, Instant now)
            throws IOException {
        Original original = Original.read(r.original(), ret == Report.Return.FULL ? settings.bounceSizeLimit() : 0);
        String boundary = r.queueId() + "." + now.getEpochSecond() + "/" + settings.myhostname();
        StringBuilder text = new StringBuilder();
        if (!postmasterCopy) {
            text.append(boilerplate(kind));
        }
        for (RecipientStatus s : r.recipients()) {
            String what = kind == Kind.SUCCESS && s.relay() != null && !s.relay().equals("none")
                    ? "delivery via " + s.relay() + ": " + s.diagnostic() : s.diagnostic();
            text.append(wrap("<" + s.recipient() + ">" + (s.expandedFrom() ? " (expanded from <" + s.original() + ">)" : "")
                    + ": " + what)).append("\r\n");
        }
        String status = deliveryStatus(kind, r);
        // SMTPUTF8 addresses or 8-bit remote replies: say so rather than mislabel them as ASCII.
        boolean utf8 = !ascii(text) || !ascii(status) || !ascii(to);
        boolean eightBit = original.eightBit() || utf8;
        StringBuilder h = new StringBuilder();
        h.append("From: MAILER-DAEMON@").append(settings.myhostname()).append(" (Mail Delivery System)\r\n")
                .append("Subject: ").append(postmasterCopy ? kind.postmasterSubject : kind.subject).append("\r\n")
                .append("To: ").append(to).append("\r\n")
                .append("Auto-Submitted: auto-replied\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: multipart/report; report-type=delivery-status;\r\n")
                .append("\tboundary=\"").append(boundary).append("\"\r\n");
        if (eightBit) {
            h.append("Content-Transfer-Encoding: 8bit\r\n");
        }
        h.append("\r\nThis is a MIME-encapsulated message.\r\n\r\n");
        h.append("--").append(boundary).append("\r\n")
                .append("Content-Description: Notification\r\n")
                .append("Content-Type: text/plain; charset=").append(utf8 ? "utf-8" : "us-ascii").append("\r\n");
        if (utf8) {
            h.append("Content-Transfer-Encoding: 8bit\r\n");
        }
        h.append("\r\n").append(text);
        h.append("--").append(boundary).append("\r\n")
                .append("Content-Description: Delivery report\r\n")
                .append("Content-Type: message/delivery-status\r\n\r\n");
        h.append(status);
        h.append("--").append(boundary).append("\r\n");
        if (original.headersOnly()) {
            h.append("Content-Description: ").append(kind == Kind.SUCCESS ? "Message Headers" : "Undelivered Message Headers")
                    .append("\r\n")
                    .append("Content-Type: text/rfc822-headers\r\n");
        } else {
            h.append("Content-Description: ").append(kind == Kind.DELAY ? "Delayed Message" : "Undelivered Message")
                    .append("\r\nContent-Type: message/rfc822\r\n");
        }
        if (original.eightBit()) {
            h.append("Content-Transfer-Encoding: 8bit\r\n");
        }
        h.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(h.toString().getBytes(StandardCharsets.UTF_8));
        out.write(original.bytes());
        if (original.bytes().length > 0 && !endsWithCrlf(original.bytes())) {
            out.write(new byte[] {'\r', '\n'});
        }
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Postfix's built-in templates (postconf -b), with its wording. */
    private String boilerplate(Kind kind) {
        StringBuilder b = new StringBuilder();
        b.append("This is the mail system at host ").append(settings.myhostname()).append(".\r\n\r\n");
        if (kind == Kind.SUCCESS) {
            // Postfix's success template has no postmaster paragraph.
            return b.append("Your message was successfully delivered to the destination(s)\r\n")
                    .append("listed below. If the message was delivered to mailbox you will\r\n")
                    .append("receive no further notifications. Otherwise you may still receive\r\n")
                    .append("notifications of mail delivery errors from other systems.\r\n\r\n")
                    .append("                   The mail system\r\n\r\n").toString();
        }
        if (kind == Kind.FAILURE) {
            b.append("I'm sorry to have to inform you that your message could not\r\n")
                    .append("be delivered to one or more recipients. It's attached below.\r\n\r\n");
        } else {
            b.append("####################################################################\r\n")
                    .append("# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n")
                    .append("####################################################################\r\n\r\n")
                    .append("Your message could not be delivered for more than ")
                    .append(settings.delayWarningTime().toHours()).append(" hour(s).\r\n")
                    .append("It will be retried until it is ").append(settings.maximalQueueLifetime().toDays())
                    .append(" day(s) old.\r\n\r\n");
        }
        b.append("For further assistance, please send mail to postmaster.\r\n\r\n")
                .append("If you do so, please include this problem report. You can\r\n")
                .append("delete your own text from the attached returned message.\r\n\r\n")
                .append("                   The mail system\r\n\r\n");
        return b.toString();
    }

    private String deliveryStatus(Kind kind, Report r) {
        StringBuilder d = new StringBuilder();
        d.append("Reporting-MTA: dns; ").append(settings.myhostname()).append("\r\n");
        if (r.envelopeId() != null) {
            d.append("Original-Envelope-Id: ").append(r.envelopeId()).append("\r\n");
        }
        d.append("X-Postfix-Queue-ID: ").append(r.queueId()).append("\r\n")
                .append("X-Postfix-Sender: rfc822; ").append(r.sender()).append("\r\n")
                .append("Arrival-Date: ").append(date(r.arrival())).append("\r\n\r\n");
        for (RecipientStatus s : r.recipients()) {
            d.append("Final-Recipient: rfc822; ").append(s.recipient()).append("\r\n");
            String originalField = s.originalRecipientField();
            if (originalField != null) {
                d.append("Original-Recipient: ").append(originalField).append("\r\n");
            }
            d.append("Action: ").append(s.action() != null && kind != Kind.FAILURE ? s.action() : kind.action)
                    .append("\r\n")
                    .append("Status: ").append(s.status()).append("\r\n");
            String mta = s.remoteMta();
            if (mta != null) {
                d.append("Remote-MTA: dns; ").append(mta).append("\r\n");
            }
            d.append("Diagnostic-Code: ").append(oneLine(s.diagnosticCode())).append("\r\n");
            if (kind == Kind.DELAY) {
                d.append("Will-Retry-Until: ").append(date(r.arrival().plus(settings.maximalQueueLifetime()))).append("\r\n");
            }
            d.append("\r\n");
        }
        return d.toString();
    }

    private String date(Instant t) {
        return t.atZone(zone).format(DATE);
    }

    private static String oneLine(String s) {
        return s.replaceAll("[\\r\\n]+", " ");
    }

    /** Postfix's bounce_print_wrap(): util/line_wrap.c to 79 columns, continuation lines indented 4 (their text to 75). */
    static String wrap(String text) {
        String s = oneLine(text);
        StringBuilder out = new StringBuilder();
        int limit = WRAP_LENGTH; // the first line's text; later lines' text after their indent
        int indent = 0;
        int start = 0;
        for (int word = 0; word >= 0; ) {
            int space = nextBlank(s, word);
            int nextSpace = space < 0 ? s.length() : space;
            if (word > start && nextSpace - start > limit) {
                out.append(" ".repeat(indent)).append(stripTrailing(s.substring(start, word))).append("\r\n");
                while (word < s.length() && (s.charAt(word) == ' ' || s.charAt(word) == '\t')) {
                    word++;
                }
                if (start == 0) {
                    indent = WRAP_INDENT;
                    limit -= WRAP_INDENT;
                }
                start = word;
            }
            word = space < 0 ? -1 : space + 1;
        }
        return out.append(" ".repeat(indent)).append(stripTrailing(s.substring(start))).append("\r\n").toString();
    }

    /** Postfix's bounce_print_wrap(): line_wrap() to 79 columns, continuation lines indented 4. */
    private static final int WRAP_LENGTH = 79;
    private static final int WRAP_INDENT = 4;

    private static int nextBlank(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return -1;
    }

    private static String stripTrailing(String s) {
        int n = s.length();
        while (n > 0 && Character.isWhitespace(s.charAt(n - 1))) {
            n--;
        }
        return s.substring(0, n);
    }

    private static boolean ascii(CharSequence s) {
        return s.chars().allMatch(c -> c < 0x80);
    }

    private static boolean endsWithCrlf(byte[] b) {
        return b.length >= 2 && b[b.length - 2] == '\r' && b[b.length - 1] == '\n';
    }

    /** What is returned of the original message. */
    record Original(byte[] bytes, boolean headersOnly, boolean eightBit) {
        /** The whole message when it fits in {@code limit} bytes, else its header section. */
        static Original read(MessageContent content, long limit) throws IOException {
            if (content == null) {
                return new Original(new byte[0], true, false);
            }
            boolean whole = content.size() <= limit;
            byte[] bytes;
            try (InputStream in = content.open()) {
                bytes = whole ? in.readNBytes((int) content.size()) : headers(in);
            }
            boolean eightBit = false;
            for (byte b : bytes) {
                if (b < 0) {
                    eightBit = true;
                    break;
                }
            }
            return new Original(bytes, !whole, eightBit);
        }

        /** The header section, up to (not including) the empty line; at most 1 MiB. */
        private static byte[] headers(InputStream in) throws IOException {
            byte[] buf = in.readNBytes(1 << 20);
            for (int i = 0; i + 3 < buf.length; i++) {
                if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                    return java.util.Arrays.copyOf(buf, i + 2);
                }
            }
            return buf;
        }
    }
}

package dev.postern.pickup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * What Postfix's pickup and cleanup do to the headers of locally submitted mail, before cleanup
 * adds a missing Message-Id and Date: a Received header naming the submitting user ID first and a
 * From header from the
 * envelope sender (with sendmail -F's full name) when the message has none. Cleanup then removes
 * Bcc and Resent-Bcc (message_drop_headers, as for all mail) and completes header addresses.
 */
final class LocalHeaders {
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private LocalHeaders() {}

    /** Headers whose addresses get {@code @$myorigin} when they have no domain, as Postfix's cleanup does for local mail. */
    private static final java.util.Set<String> ADDRESS_HEADERS = java.util.Set.of("from", "sender", "reply-to", "to", "cc",
            "resent-from", "resent-sender", "resent-reply-to", "resent-to", "resent-cc");

    /** pickup.c's Received header, naming the submitting user ID (also for a requeued message). */
    static String received(long uid, String queueId, String myhostname, String mailName, ZonedDateTime now) {
        return "Received: by " + myhostname + " (" + mailName + ", from userid " + uid + ")\r\n\tid "
                + queueId + "; " + now.format(RFC5322) + "\r\n";
    }

    /** {@code origin}: appended to header addresses without a domain; empty to leave them alone. */
    static byte[] rewrite(byte[] content, String sender, String fullname, long uid, String queueId,
                          String myhostname, String mailName, String origin, ZonedDateTime now) {
        HeaderSection headers = HeaderSection.parse(content);
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 256);
        write(out, received(uid, queueId, myhostname, mailName, now));
        for (HeaderSection.Field f : headers.fields()) {
            String n = f.lowerName();
            if (!origin.isEmpty() && ADDRESS_HEADERS.contains(n)) {
                int colon = f.raw().indexOf(':') + 1;
                write(out, f.raw().substring(0, colon) + AddressList.qualify(f.raw().substring(colon), origin));
            } else {
                write(out, f.raw());
            }
        }
        if (!headers.has("From")) {
            // UTF-8: a full name from -F or the password file may hold any character, as in Postfix.
            out.writeBytes(("From: " + fromValue(sender, fullname) + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        int body = headers.bodyStart();
        if (body >= content.length || !startsWithCrlf(content, body)) {
            // No empty line after the headers (none at all, or a body line that is no header):
            // add it, or the added From would run into the body.
            write(out, "\r\n");
        }
        out.write(content, body, content.length - body);
        return out.toByteArray();
    }

    /** {@code sender}, or {@code "Full Name" <sender>}; MAILER-DAEMON for the null sender, as Postfix. */
    static String fromValue(String sender, String fullname) {
        if (sender.isEmpty()) {
            return "MAILER-DAEMON";
        }
        if (fullname == null || fullname.isBlank()) {
            return sender;
        }
        return phrase(fullname.strip()) + " <" + sender + ">";
    }

    /** The full name as an RFC 5322 phrase: as is when it is only atoms, else a quoted string. */
    private static String phrase(String name) {
        if (name.matches("[A-Za-z0-9!#$%&'*+/=?^_`{|}~ .-]+") && !name.contains("..") && !name.startsWith(".")) {
            return name;
        }
        return "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static boolean startsWithCrlf(byte[] b, int at) {
        return at + 1 < b.length && b[at] == '\r' && b[at + 1] == '\n';
    }

    private static void write(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}

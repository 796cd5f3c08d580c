package dev.postern.cleanup;

import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The header section of a message being received, held in memory (up to header_size_limit) so
 * missing Date and Message-ID headers can be added at its end, as a submission server should
 * (RFC 6409 §8.3) and Postfix's cleanup does.
 */
final class HeaderBlock {
    private static final Pattern MESSAGE_ID = Pattern.compile("(?im)^message-id:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)");
    private static final Pattern DATE = Pattern.compile("(?im)^date:");
    /** Built once: DateTimeFormatter.ofPattern parses its pattern on every call. */
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMddHHmmss", Locale.ROOT);
    private static final DateTimeFormatter RFC5322 = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private HeaderBlock() {}

    /**
     * Result: the header bytes to store (with additions), the Message-ID (null when the message has
     * none and is being resent: none is added then), the Received headers counted, and what cleanup
     * logs for the IDs, in Postfix's order ({@code message-id=<...>}, {@code resent-message-id=<...>}).
     */
    record Fixed(byte[] bytes, String messageId, int received, List<String> idLines) {
    }

    /** Postfix's HDR_OPT_RR headers: one of them makes the message "resent" (cleanup's state->resent). */
    private static final Pattern RESENT = Pattern.compile(
            "(?im)^resent-(bcc|cc|date|from|message-id|reply-to|sender|to)[ \\t]*:");
    private static final Pattern RESENT_MESSAGE_ID = Pattern.compile("(?im)^resent-message-id[ \\t]*:[ \\t]*(.*(?:\\r\\n[ \\t].*)*)");
    private static final Pattern RESENT_DATE = Pattern.compile("(?im)^resent-date[ \\t]*:");
    private static final Pattern RESENT_FROM = Pattern.compile("(?im)^resent-from[ \\t]*:");
    private static final Pattern FROM = Pattern.compile("(?im)^from[ \\t]*:");

    static Fixed fix(byte[] header, String queueId, String myhostname, ZonedDateTime now) {
        return fix(header, queueId, myhostname, now, "");
    }

    /**
     * As Postfix's cleanup_header_done_callback(): a missing Message-Id and Date are added, or, when
     * the message carries Resent- headers, a missing Resent-Message-Id and Resent-Date; a message
     * being resent without a Message-ID logs {@code message-id=<>}. Postern adds these for every
     * client (Postfix only in a header rewrite context or with always_add_missing_headers; a
     * submission server should, RFC 6409 §8.3). No From: or Resent-From: is added: see the method
     * below.
     */
    static Fixed fix(byte[] header, String queueId, String myhostname, ZonedDateTime now, String sender) {
        return fix(header, queueId, myhostname, now, sender, false);
    }

    /**
     * With {@code addFrom}, a missing {@code From: sender} (MAILER-DAEMON for the null sender) is
     * added after the added Message-Id and Date, or, for a message being resent, a missing
     * {@code Resent-From: sender} after the Resent-Date: Postfix's cleanup_header_done_callback()
     * adds the one (state->resent ? Resent-From : From) under the same condition,
     * {@code state->hdr_rewrite_context || var_always_add_hdrs}. The caller passes that: the
     * message is in a header rewrite context (a local submission or notice, a client in
     * local_header_rewrite_clients, or remote_header_rewrite_domain set) or always_add_missing_headers
     * is on; and the block is the whole header section (not cut at header_size_limit).
     */
    static Fixed fix(byte[] header, String queueId, String myhostname, ZonedDateTime now, String sender, boolean addFrom) {
        String text = new String(header, StandardCharsets.ISO_8859_1);
        // The block ends with the empty line (CRLF CRLF) when the message has a body.
        boolean hasSeparator = text.endsWith("\r\n\r\n");
        String head = hasSeparator ? text.substring(0, text.length() - 2) : text;
        if (!head.isEmpty() && !head.endsWith("\r\n")) {
            head += "\r\n";
        }
        StringBuilder add = new StringBuilder();
        List<String> ids = new ArrayList<>(2);
        String messageId = null;
        int messageIdAt = -1;
        Matcher m = MESSAGE_ID.matcher(head);
        if (find(m, head, "message-id:")) {
            messageId = m.group(1).trim();
            messageIdAt = m.start();
        }
        boolean resent = find(RESENT.matcher(head), head, "resent-");
        if (!resent) {
            if (messageId == null) {
                messageId = addedMessageId(queueId, myhostname, now);
                add.append("Message-Id: ").append(messageId).append("\r\n");
            }
            ids.add("message-id=" + messageId);
            if (!find(DATE.matcher(head), head, "date:")) {
                add.append("Date: ").append(now.format(RFC5322)).append("\r\n");
            }
            if (addFrom && !find(FROM.matcher(head), head, "from")) {
                add.append("From: ").append(sender.isEmpty() ? "MAILER-DAEMON"
                        : new String(sender.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)).append("\r\n");
            }
        } else {
            // Logged as cleanup reads them, in header order; the added Resent-Message-Id after them.
            Matcher r = RESENT_MESSAGE_ID.matcher(head);
            String resentId = find(r, head, "resent-message-id") ? r.group(1).trim() : null;
            if (resentId != null && messageIdAt > r.start()) {
                ids.add("resent-message-id=" + resentId);
                ids.add("message-id=" + messageId);
            } else {
                if (messageId != null) {
                    ids.add("message-id=" + messageId);
                }
                if (resentId != null) {
                    ids.add("resent-message-id=" + resentId);
                }
            }
            if (resentId == null) {
                String added = addedMessageId(queueId, myhostname, now);
                add.append("Resent-Message-Id: ").append(added).append("\r\n");
                ids.add("resent-message-id=" + added);
            }
            if (messageId == null) {
                ids.add("message-id=<>");
            }
            if (!find(RESENT_DATE.matcher(head), head, "resent-date")) {
                add.append("Resent-Date: ").append(now.format(RFC5322)).append("\r\n");
            }
            if (addFrom && !find(RESENT_FROM.matcher(head), head, "resent-from")) {
                // the sender's own bytes (UTF-8 for an SMTPUTF8 address) through this ISO-8859-1 view
                add.append("Resent-From: ").append(sender.isEmpty() ? "MAILER-DAEMON"
                        : new String(sender.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)).append("\r\n");
            }
        }
        String out = head + add + (hasSeparator ? "\r\n" : "");
        return new Fixed(out.getBytes(StandardCharsets.ISO_8859_1), messageId, count(head, "received:"), List.copyOf(ids));
    }

    /** The Message-Id cleanup adds to a message without one: the time, the queue ID and myhostname, as Postfix's. */
    static String addedMessageId(String queueId, String myhostname, ZonedDateTime now) {
        return "<" + now.format(STAMP) + "." + queueId + "@" + myhostname + ">";
    }

    /** Header lines starting with {@code name} (ignoring case): Postfix's hop count, for Received. */
    static int count(String head, String name) {
        int n = 0;
        for (int i = 0; i < head.length(); i++) {
            if ((i == 0 || head.charAt(i - 1) == '\n') && head.regionMatches(true, i, name, 0, name.length())) {
                n++;
            }
        }
        return n;
    }

    /**
     * {@code m.find()}, with the regex tried only at line starts that begin with {@code name}
     * (ignoring case): the same first match, without running a multi-line, case-insensitive
     * pattern over every position of the header (1% of the CPU per message). A line start is
     * wherever the pattern's {@code ^} may match: the start, or after CR, LF or U+0085.
     */
    private static boolean find(Matcher m, String head, String name) {
        for (int i = 0; i < head.length(); i++) {
            if ((i == 0 || isLineEnd(head.charAt(i - 1))) && head.regionMatches(true, i, name, 0, name.length())
                    && m.find(i) && m.start() == i) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLineEnd(char c) {
        return c == '\n' || c == '\r' || c == '\u0085';
    }
}

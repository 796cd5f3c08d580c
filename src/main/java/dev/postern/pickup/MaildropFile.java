package dev.postern.pickup;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One message in {@code maildrop/}, as sendmail leaves it for pickup: a small text envelope, then
 * the message exactly as submitted (CRLF line endings, no dot-stuffing).
 * <pre>
 * postern-maildrop 1
 * sender alice@example.com     (empty for the null sender)
 * fullname Alice Example       (optional: sendmail -F, used when pickup adds a From: header)
 * rcpt bob@example.org         (one line per recipient, as given: root, joe@laptop, host!user)
 * size 1234                    (content bytes: a truncated file is detected, never half-delivered)
 * (blank line, then the content)
 * </pre>
 * Addresses are stored as sendmail was given them, as Postfix's postdrop stores them; pickup
 * completes them in trivial-rewrite's local context (cleanup's) and parses the result, so a
 * hand-made file with a bad address is refused there and moved aside.
 */
public record MaildropFile(String sender, String fullname, List<String> recipients, byte[] content) {
    static final String MAGIC = "postern-maildrop 1";

    public MaildropFile {
        recipients = List.copyOf(recipients);
        fullname = fullname == null ? "" : fullname;
        checkOneLine(sender);
        checkOneLine(fullname);
        recipients.forEach(MaildropFile::checkOneLine);
    }

    private static void checkOneLine(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < 0x20 && value.charAt(i) != '\t') {
                throw new IllegalArgumentException("control character in envelope value: " + value);
            }
        }
    }

    byte[] encode() {
        StringBuilder sb = new StringBuilder(MAGIC).append('\n');
        sb.append("sender ").append(sender).append('\n');
        if (!fullname.isEmpty()) {
            sb.append("fullname ").append(fullname).append('\n');
        }
        for (String r : recipients) {
            sb.append("rcpt ").append(r).append('\n');
        }
        sb.append("size ").append(content.length).append("\n\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream(sb.length() + content.length);
        out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(content);
        return out.toByteArray();
    }

    /** Thrown for a file that is not a complete maildrop file; the message says what is wrong. */
    static final class MalformedException extends Exception {
        MalformedException(String why) {
            super(why);
        }
    }

    static MaildropFile decode(byte[] file) throws MalformedException {
        int firstEnd = indexOf(file, (byte) '\n', 0);
        if (!new String(file, 0, firstEnd < 0 ? file.length : firstEnd, StandardCharsets.UTF_8).equals(MAGIC)) {
            throw new MalformedException("not a maildrop file (first line is not \"" + MAGIC + "\")");
        }
        int pos = 0;
        String sender = null;
        String fullname = "";
        List<String> rcpts = new ArrayList<>();
        long size = -1;
        boolean first = true;
        while (true) {
            int nl = indexOf(file, (byte) '\n', pos);
            if (nl < 0) {
                throw new MalformedException("envelope not terminated by an empty line");
            }
            String line = new String(file, pos, nl - pos, StandardCharsets.UTF_8);
            pos = nl + 1;
            if (first) {
                first = false;
                continue;
            }
            if (line.isEmpty()) {
                break;
            }
            int sp = line.indexOf(' ');
            String key = sp < 0 ? line : line.substring(0, sp);
            String value = sp < 0 ? "" : line.substring(sp + 1);
            switch (key) {
                case "sender" -> sender = value;
                case "fullname" -> fullname = value;
                case "rcpt" -> rcpts.add(value);
                case "size" -> size = parseSize(value);
                default -> throw new MalformedException("unknown envelope record \"" + key + "\"");
            }
        }
        if (sender == null) {
            throw new MalformedException("no sender record");
        }
        if (rcpts.isEmpty()) {
            throw new MalformedException("no recipient records");
        }
        if (size != file.length - pos) {
            throw new MalformedException("content is " + (file.length - pos) + " bytes, the envelope says " + size);
        }
        byte[] content = java.util.Arrays.copyOfRange(file, pos, file.length);
        try {
            return new MaildropFile(sender, fullname, rcpts, content);
        } catch (IllegalArgumentException e) {
            throw new MalformedException(e.getMessage());
        }
    }

    private static long parseSize(String v) throws MalformedException {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new MalformedException("bad size record \"" + v + "\"");
        }
    }

    private static int indexOf(byte[] b, byte c, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }
}

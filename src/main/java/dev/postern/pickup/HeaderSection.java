package dev.postern.pickup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The header section of a message with CRLF line endings, split into fields (continuation lines
 * kept with their field). The section ends at the empty line, or, as in Postfix, at the first line
 * that is neither a header nor a continuation (that line starts the body).
 */
public final class HeaderSection {
    /** One field: its name as written and its raw text, continuation lines and final CRLF included. */
    record Field(String name, String raw) {
        String lowerName() {
            return name.toLowerCase(Locale.ROOT);
        }

        /** The value, unfolded, without the name and colon. */
        String value() {
            return raw.substring(raw.indexOf(':') + 1).replace("\r\n", "").trim();
        }
    }

    private final List<Field> fields;
    private final int bodyStart;

    private HeaderSection(List<Field> fields, int bodyStart) {
        this.fields = fields;
        this.bodyStart = bodyStart;
    }

    public static HeaderSection parse(byte[] content) {
        String text = new String(content, StandardCharsets.ISO_8859_1);
        List<Field> fields = new ArrayList<>();
        int pos = 0;
        while (pos < text.length()) {
            int eol = text.indexOf("\r\n", pos);
            int next = eol < 0 ? text.length() : eol + 2;
            String line = text.substring(pos, eol < 0 ? text.length() : eol);
            if (line.isEmpty()) {
                break;
            }
            boolean continuation = line.charAt(0) == ' ' || line.charAt(0) == '\t';
            if (continuation && !fields.isEmpty()) {
                Field last = fields.remove(fields.size() - 1);
                fields.add(new Field(last.name(), last.raw() + text.substring(pos, next)));
            } else if (isFieldStart(line)) {
                fields.add(new Field(line.substring(0, line.indexOf(':')).trim(), text.substring(pos, next)));
            } else {
                break;
            }
            pos = next;
        }
        return new HeaderSection(List.copyOf(fields), pos);
    }

    /** A field name: printable ASCII but colon and space, then a colon (RFC 5322 §2.2; "Name :" as obsolete syntax allows). */
    private static boolean isFieldStart(String line) {
        int colon = line.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String name = line.substring(0, colon).stripTrailing();
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c <= 32 || c >= 127) {
                return false;
            }
        }
        return true;
    }

    List<Field> fields() {
        return fields;
    }

    /** Offset of the first byte after the header fields (the empty line, or the first body line). */
    int bodyStart() {
        return bodyStart;
    }

    boolean has(String name) {
        return fields.stream().anyMatch(f -> f.name().equalsIgnoreCase(name));
    }

    /**
     * sendmail -t: the addresses in To, Cc and Bcc; when the message has Resent-To, Resent-Cc or
     * Resent-Bcc, only those (a resent message goes to its new recipients), as Postfix's sendmail.
     */
    public List<String> extractRecipients() {
        List<String> plain = new ArrayList<>();
        List<String> resent = new ArrayList<>();
        for (Field f : fields) {
            switch (f.lowerName()) {
                case "to", "cc", "bcc" -> plain.addAll(AddressList.parse(f.value()));
                case "resent-to", "resent-cc", "resent-bcc" -> resent.addAll(AddressList.parse(f.value()));
                default -> { }
            }
        }
        boolean isResent = fields.stream().anyMatch(f -> f.lowerName().matches("resent-(to|cc|bcc)"));
        return isResent ? resent : plain;
    }
}

package dev.postern.mail;

import java.util.List;

/**
 * An SMTP reply: code, enhanced status code (RFC 3463, may be empty) and text lines. This is
 * exactly what the client sees.
 */
public record Reply(int code, String enhanced, List<String> lines) {

    public Reply {
        if (code < 200 || code > 599) {
            throw new IllegalArgumentException("bad reply code " + code);
        }
        lines = List.copyOf(lines);
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("empty reply");
        }
    }

    public static Reply of(int code, String enhanced, String text) {
        return new Reply(code, enhanced, List.of(text));
    }

    public boolean isPositive() {
        return code < 400;
    }

    public boolean isTransient() {
        return code >= 400 && code < 500;
    }

    public boolean isPermanent() {
        return code >= 500;
    }

    /** The first line's text with the enhanced code, as logged: {@code 554 5.7.1 <x>: Relay access denied}. */
    public String oneLine() {
        return code + (enhanced.isEmpty() ? "" : " " + enhanced) + " " + lines.get(0);
    }

    /** Wire form, CRLF-terminated, with continuation dashes. */
    public String toWire() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            sb.append(code).append(i == lines.size() - 1 ? ' ' : '-');
            if (!enhanced.isEmpty()) {
                sb.append(enhanced).append(' ');
            }
            sb.append(lines.get(i)).append("\r\n");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return oneLine();
    }
}

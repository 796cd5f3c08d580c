package dev.postern.smtp;

import java.util.List;

/** A reply from the next hop: code, enhanced code if any, and the text as Postfix logs it. */
record ServerReply(int code, String enhanced, String text, List<String> lines) {
    static ServerReply parse(List<String> lines) {
        String first = lines.get(lines.size() - 1);
        int code;
        try {
            code = Integer.parseInt(first.substring(0, 3));
        } catch (RuntimeException e) {
            code = 0;
        }
        StringBuilder text = new StringBuilder();
        for (String l : lines) {
            text.append(text.length() == 0 ? "" : " ").append(l.length() > 4 ? l.substring(4) : "");
        }
        String t = text.toString();
        String enhanced = "";
        if (t.matches("[245]\\.\\d{1,3}\\.\\d{1,3}( .*)?")) {
            enhanced = t.split(" ", 2)[0];
        }
        return new ServerReply(code, enhanced, t, List.copyOf(lines));
    }

    boolean positive() {
        return code >= 200 && code < 400;
    }

    boolean transientFailure() {
        return code >= 400 && code < 500 || code < 200 || code >= 600;
    }

    /** The enhanced code, or one derived from the reply class. */
    String dsn() {
        if (!enhanced.isEmpty()) {
            return enhanced;
        }
        return code >= 500 && code < 600 ? "5.0.0" : code >= 200 && code < 300 ? "2.0.0" : "4.0.0";
    }

    /** Postfix's diagnostic form: "250 2.0.0 Ok: queued as X". */
    String diagnostic() {
        return code + " " + text;
    }
}

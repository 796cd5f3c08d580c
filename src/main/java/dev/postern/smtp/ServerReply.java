package dev.postern.smtp;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A reply from the next hop: code, enhanced code if any, and the text as Postfix logs it. */
record ServerReply(int code, String enhanced, String text, List<String> lines) {
    /** RFC 3463 class.subject.detail opening the text; compiled once, as a reply is parsed per command. */
    private static final Pattern ENHANCED = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}(?= |$)");

    static ServerReply parse(List<String> lines) {
        String last = lines.get(lines.size() - 1);
        int code = 0;
        if (last.length() >= 3 && digit(last, 0) && digit(last, 1) && digit(last, 2)) {
            code = Integer.parseInt(last, 0, 3, 10);
        }
        String t;
        if (lines.size() == 1) {
            t = textOf(last);
        } else {
            StringBuilder text = new StringBuilder();
            for (String l : lines) {
                text.append(text.length() == 0 ? "" : " ").append(textOf(l));
            }
            t = text.toString();
        }
        Matcher m = ENHANCED.matcher(t);
        return new ServerReply(code, m.lookingAt() ? m.group() : "", t, List.copyOf(lines));
    }

    private static boolean digit(String s, int i) {
        char c = s.charAt(i);
        return c >= '0' && c <= '9';
    }

    private static String textOf(String line) {
        return line.length() > 4 ? line.substring(4) : "";
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

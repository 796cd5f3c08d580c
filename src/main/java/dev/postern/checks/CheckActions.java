package dev.postern.checks;

import dev.postern.mail.MailAddress;
import dev.postern.mail.Reply;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Postfix's cleanup_act() and hbc_action(): what a header_checks or body_checks value does to
 * the message and to the header or line that matched, with the log line of each action that logs.
 * Where the message is already queued (the SMTP client's smtp_header_checks) only the actions on
 * the content exist, as in Postfix: the others are "unsupported".
 */
public final class CheckActions {
    /** dsn_valid(): a class 2, 4 or 5 status code at the start of the text. */
    private static final Pattern DSN = Pattern.compile("([245]\\.\\d{1,3}\\.\\d{1,3})(?:[ \\t\\n\\r\\f\\u000b]+|$)(.*)", Pattern.DOTALL);

    /** What the message and its content become (implemented by cleanup's transaction, or a delivery). */
    public interface Target {
        /**
         * False where only the content can change (Postfix's hbc_action(), smtp_header_checks):
         * REJECT, HOLD, DISCARD, FILTER, REDIRECT, BCC and PASS are then "unsupported command"
         * warnings and the header or line is kept. The methods for them are never called.
         */
        default boolean messageActions() {
            return true;
        }

        /** An earlier HOLD (also an access table's) or DISCARD: a second HOLD is not logged. */
        boolean heldOrDiscarded();

        void hold();

        void discard();

        void filter(String transportAndNexthop);

        void redirect(MailAddress to);

        void bcc(MailAddress to);

        /** The message is refused at end of data with this reply (550 5.x.x, or 451 4.x.x when deferred). */
        void reject(Reply reply);

        /** cleanup_act_log(): {@code action: where content from origin; from=<> to=<> proto= helo=<>: text}. */
        void log(String action, String where, String content, String text);

        /** A table could not answer: the message is not accepted now (451 4.3.0), with Postfix's warning. */
        void lookupFailed(String parameter, dev.postern.maps.LookupException cause);

        /**
         * A multipart nested deeper than mime_nesting_limit (Postfix's MIME_ERR_NESTING, reported
         * by cleanup when a header table is set): {@code header} is the Content-Type header that
         * went too deep, cut at 100 characters. Where nobody refuses mail, nothing happens.
         */
        default void mimeNestingExceeded(String header) {
        }

        /**
         * A table answered {@code value} for {@code key}: what to do. By default the action the
         * value names ({@link CheckActions#act}); {@code postern map -h -b} only prints it.
         */
        default Result matched(String where, String key, String value, String mapClass) {
            return act(this, where, key, value, mapClass);
        }

        /**
         * The message's own Message-ID header went out with this value (after the checks: not
         * when IGNOREd; the new value after a REPLACE), where Postfix's cleanup logs {@code message-id=}.
         */
        default void messageIdSeen(String value) {
        }

        /** The message's own Resent-Message-ID header went out with this value. */
        default void resentMessageIdSeen(String value) {
        }

        /**
         * The message's own header has ended (Postfix's header_done callback: a missing Message-Id
         * is added now); {@code resent} when it carries a Resent- header (cleanup's state->resent).
         */
        default void primaryHeaderEnded(boolean resent) {
        }

        /**
         * A header of the message's own header block on its way out, after its table's action
         * (also with no table, and the new text after a REPLACE that keeps the header's name; not
         * a PREPENDed header, nor one removed): as Postfix rewrites header addresses after header_checks (smtp_header_rewrite()
         * for smtp_generic_maps). The text to send instead ("Name: value", folded lines joined by
         * "\n", no line end), or null to send the header as it is.
         */
        default String rewritePrimaryHeader(String header) {
            return null;
        }

        /** A warning of cleanup's (a bad action in a table). */
        void warn(String text);
    }

    /** What becomes of the header or line that matched. */
    public sealed interface Outcome {
    }

    /** Kept as it is. */
    public record Keep() implements Outcome {
    }

    /** Removed (IGNORE, STRIP). */
    public record Drop() implements Outcome {
    }

    /** Replaced by this text (REPLACE). */
    public record Replace(String text) implements Outcome {
    }

    /** Kept, with this header or line before it (PREPEND). */
    public record Prepend(String text) implements Outcome {
    }

    /** The message is refused (REJECT): nothing more of it is written or inspected. */
    public record Stop() implements Outcome {
    }

    public static final Outcome KEEP = new Keep();
    static final Outcome DROP = new Drop();

    /** Result: the outcome, and whether later headers and lines are still inspected (Postfix's CLEANUP_FLAG_FILTER). */
    public record Result(Outcome outcome, boolean inspectMore) {
    }

    private CheckActions() {}

    /**
     * @param where "header" or "body"
     * @param content the header or line as the table saw it
     * @param value the table's answer: a command and optional text
     * @param mapClass the parameter, for warnings (header_checks, body_checks, ...)
     */
    public static Result act(Target t, String where, String content, String value, String mapClass) {
        int sp = 0;
        while (sp < value.length() && value.charAt(sp) != ' ' && value.charAt(sp) != '\t') {
            sp++;
        }
        String command = value.substring(0, sp).toUpperCase(Locale.ROOT);
        int t0 = sp;
        while (t0 < value.length() && " \t\r\n\f\u000b".indexOf(value.charAt(t0)) >= 0) {
            t0++; // ISSPACE, leading only: the text's own trailing blanks stay, as in Postfix
        }
        String text = value.substring(t0);
        boolean header = where.equals("header");
        if (!t.messageActions() && MESSAGE_ACTIONS.contains(command)) {
            t.warn("unsupported command in " + mapClass + " map: " + value);
            return new Result(KEEP, true);
        }
        switch (command) {
            case "REJECT" -> {
                String reason = text.isEmpty() ? "5.7.1 message content rejected" : dsnPrepend("5.7.1", text);
                if (reason.charAt(0) != '4' && reason.charAt(0) != '5') {
                    t.warn("bad DSN action in " + text + " -- need 4.x.x or 5.x.x");
                    reason = '4' + reason.substring(1);
                }
                t.log("reject", where, content, reason);
                int space = reason.indexOf(' ');
                String status = space < 0 ? reason : reason.substring(0, space);
                String words = space < 0 ? "" : reason.substring(space + 1);
                t.reject(Reply.of(reason.charAt(0) == '4' ? 451 : 550, status, words));
                return new Result(new Stop(), false);
            }
            case "WARN" -> t.log("warning", where, content, text);
            case "INFO" -> t.log("info", where, content, text);
            case "FILTER" -> {
                if (text.isEmpty()) {
                    t.warn("missing FILTER command argument in " + mapClass + " map");
                } else if (text.indexOf(':') < 0) {
                    t.warn("bad FILTER command " + text + " in " + mapClass + " -- need transport:destination");
                } else {
                    t.filter(text);
                    t.log("filter", where, content, text);
                }
            }
            case "PASS" -> {
                t.log("pass", where, content, text);
                return new Result(KEEP, false);
            }
            case "DISCARD" -> {
                t.log("discard", where, content, text);
                t.discard();
                return new Result(KEEP, false);
            }
            case "HOLD" -> {
                if (!t.heldOrDiscarded()) {
                    t.log("hold", where, content, text);
                    t.hold();
                }
            }
            case "PREPEND" -> {
                if (text.isEmpty()) {
                    t.warn("PREPEND action without text in " + mapClass + " map");
                } else if (header && !isHeader(text)) {
                    t.warn("bad PREPEND header text \"" + text + "\" in " + mapClass
                            + " map -- need \"headername: headervalue\"");
                } else {
                    t.log("prepend", where, content, text);
                    return new Result(new Prepend(text), true);
                }
            }
            case "REPLACE" -> {
                if (text.isEmpty()) {
                    t.warn("REPLACE action without text in " + mapClass + " map");
                } else if (header && !isHeader(text)) {
                    t.warn("bad REPLACE header text \"" + text + "\" in " + mapClass
                            + " map -- need \"headername: headervalue\"");
                } else {
                    t.log("replace", where, content, text);
                    return new Result(new Replace(text), true);
                }
            }
            case "REDIRECT" -> {
                MailAddress to = address(text);
                if (to == null) {
                    t.warn("bad REDIRECT target \"" + text + "\" in " + mapClass + " map -- need user@domain");
                } else {
                    t.redirect(to);
                    t.log("redirect", where, content, text);
                    return new Result(KEEP, false);
                }
            }
            case "BCC" -> {
                MailAddress to = address(text);
                if (to == null) {
                    t.warn("bad BCC address \"" + text + "\" in " + mapClass + " map -- need user@domain");
                } else {
                    t.bcc(to);
                    t.log("bcc", where, content, text);
                }
            }
            case "STRIP" -> {
                t.log("strip", where, content, text);
                return new Result(DROP, true);
            }
            case "IGNORE" -> {
                return new Result(DROP, true);
            }
            case "DUNNO", "OK" -> {
                // kept as it is
            }
            default -> t.warn((t.messageActions() ? "unknown" : "unsupported") + " command in " + mapClass + " map: " + value);
        }
        return new Result(KEEP, true);
    }

    /**
     * Postfix only asks for an '@'; Postern also needs an address it can queue (local@domain), and
     * warns about one it cannot instead of failing the message later.
     */
    private static MailAddress address(String text) {
        if (text.indexOf('@') < 0) {
            return null;
        }
        try {
            return MailAddress.parse(text);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** dsn_prepend(): the text's own status code when it starts with one, else {@code def} before it. */
    static String dsnPrepend(String def, String text) {
        Matcher m = DSN.matcher(text);
        return m.matches() ? m.group(1) + " " + m.group(2) : def + " " + text;
    }

    /** is_header(): {@code name:} where the name is printable ASCII, optionally followed by blanks before the colon. */
    static boolean isHeader(String s) {
        return headerNameLength(s) > 0;
    }

    /** is_header_buf(): the length of the header name, 0 when {@code s} does not start a header. */
    static int headerNameLength(CharSequence s) {
        int len = 0;
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ':') {
                return len;
            } else if (c == ' ' || c == '\t') {
                if (len == 0) {
                    return 0;
                }
                space = true;
            } else if (c < 0x21 || c > 0x7e || space) {
                return 0;
            } else {
                len++;
            }
        }
        return 0;
    }

    /** What only cleanup can do: the message is not queued yet. */
    private static final List<String> MESSAGE_ACTIONS = List.of("REJECT", "HOLD", "DISCARD", "FILTER", "REDIRECT", "BCC",
            "PASS");

    /** Header names Postfix flags HDR_OPT_MIME: they go to mime_header_checks wherever they appear. */
    static final List<String> MIME_HEADERS = List.of("content-description", "content-disposition", "content-id",
            "content-transfer-encoding", "content-type", "mime-version");
}

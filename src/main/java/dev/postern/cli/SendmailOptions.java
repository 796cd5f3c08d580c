package dev.postern.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * sendmail(1)'s command line, parsed by hand because its options are not picocli's: values may be
 * attached or separate ({@code -fuser}, {@code -f user}), {@code -oi} is {@code -i}, {@code -bs}
 * a mode. The option letters are Postfix's sendmail's; what Postfix ignores is ignored here too
 * (reported with -v), and what it refuses is refused with EX_USAGE.
 */
final class SendmailOptions {
    enum Mode { ENQUEUE, SMTP, MAILQ, FLUSH, NOTHING }

    /** A usage error or refusal: sendmail exits with {@code code} and prints the message. */
    static final class Failure extends RuntimeException {
        final int code;

        Failure(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    static final int EX_USAGE = 64;

    /** Options that take a value (Postfix's getopt list); all others are flags. */
    private static final String WITH_VALUE = "ABCFLNORVXbcefhopr";

    Mode mode = Mode.ENQUEUE;
    boolean extractRecipients;
    boolean dotEndsInput = true;
    boolean verbose;
    String sender;          // null: the login name
    String fullname;        // null: $NAME or the password file
    String configDir;       // -C or -c
    String flushSite;       // -qRsite
    final List<String> recipients = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    static SendmailOptions parse(List<String> args) {
        SendmailOptions o = new SendmailOptions();
        int i = 0;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            if (!a.startsWith("-") || a.length() < 2) {
                break;
            }
            // getopt style: flags may be clustered (-ti), a value attached (-fuser) or separate (-f user).
            for (int j = 1; j < a.length(); j++) {
                char opt = a.charAt(j);
                if (opt == 'q') {
                    o.queueRun(a.substring(j + 1));
                    break;
                }
                if (WITH_VALUE.indexOf(opt) < 0) {
                    o.option(opt, null);
                    continue;
                }
                String value;
                if (j + 1 < a.length()) {
                    value = a.substring(j + 1);
                } else if (i + 1 < args.size()) {
                    value = args.get(++i);
                } else {
                    throw new Failure(EX_USAGE, "option -" + opt + " requires an argument");
                }
                o.option(opt, value);
                break;
            }
        }
        o.recipients.addAll(args.subList(i, args.size()));
        if (o.extractRecipients && o.mode != Mode.ENQUEUE) {
            throw new Failure(EX_USAGE, "-t can be used only in delivery mode");
        }
        if (o.mode != Mode.ENQUEUE && !o.recipients.isEmpty()) {
            throw new Failure(EX_USAGE, switch (o.mode) {
                case SMTP -> "stand-alone mode requires no recipient";
                case MAILQ -> "display queue mode requires no recipient";
                case FLUSH -> "flush queue mode requires no recipient";
                default -> "this mode requires no recipient";
            });
        }
        return o;
    }

    private void option(char opt, String value) {
        switch (opt) {
            case 't' -> extractRecipients = true;
            case 'i' -> dotEndsInput = false;
            case 'f', 'r' -> sender = value;
            case 'F' -> fullname = value;
            case 'C', 'c' -> configDir = value;
            case 'v' -> verbose = true;
            case 'b' -> mode(value);
            case 'o' -> {
                if (value.startsWith("i")) {
                    dotEndsInput = false;
                } else {
                    notes.add("-o" + value + " option ignored");
                }
            }
            case 'B' -> {
                if (!value.equals("8BITMIME") && !value.equals("7BIT")) {
                    throw new Failure(EX_USAGE, "-B option needs 8BITMIME or 7BIT");
                }
                notes.add("-B" + value + " noted: the body type is detected from the content");
            }
            case 'N', 'R', 'V' -> notes.add("-" + opt + " " + value + " ignored: Postern's sendmail has no DSN options yet");
            case 'X' -> throw new Failure(EX_USAGE, "unsupported: -X" + value);
            case 'n' -> throw new Failure(EX_USAGE, "-n option not supported");
            case 'I' -> mode = Mode.NOTHING;
            // Accepted and ignored, as Postfix's sendmail does: -4 -6 -A -G -L -O -U -e -h -m -p -x.
            case '4', '6', 'A', 'G', 'L', 'O', 'U', 'e', 'h', 'm', 'p', 'x' -> notes.add("-" + opt + " option ignored");
            default -> throw new Failure(EX_USAGE, "unknown option -" + opt + ": usage: sendmail [options] [recipient ...]");
        }
    }

    /**
     * Postfix's sendmail -q: bare, a flush of the deferred queue ({@code postqueue -f}); -qRsite,
     * of one destination ({@code postqueue -s site}); -q with a time (daemon mode) does nothing.
     */
    private void queueRun(String rest) {
        if (rest.isEmpty()) {
            mode = Mode.FLUSH;
        } else if (Character.isDigit(rest.charAt(0))) {
            mode = Mode.NOTHING;
        } else if (rest.charAt(0) == 'R') {
            if (rest.length() == 1) {
                throw new Failure(EX_USAGE, "specify: -qRsitename");
            }
            mode = Mode.FLUSH;
            flushSite = rest.substring(1);
        } else {
            throw new Failure(EX_USAGE, "-q" + rest.charAt(0) + " is not implemented");
        }
    }

    private void mode(String value) {
        switch (value.isEmpty() ? ' ' : value.charAt(0)) {
            case 'm' -> mode = Mode.ENQUEUE;
            case 's' -> mode = Mode.SMTP;
            case 'p' -> mode = Mode.MAILQ;
            case 'i', 'h', 'H' -> mode = Mode.NOTHING;
            case 'd' -> throw new Failure(EX_USAGE, "-bd (daemon mode) is not how Postern starts: run 'postern start'");
            case 'v' -> throw new Failure(EX_USAGE, "-bv (address verification) is not supported");
            default -> throw new Failure(EX_USAGE, "unsupported: -b" + value);
        }
    }
}

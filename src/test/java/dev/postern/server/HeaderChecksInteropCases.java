package dev.postern.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The tables and messages of {@link HeaderChecksInteropTest}: each case is one message whose
 * Subject (or one header or body line) meets one rule. Rules that must not fire name the table
 * that would wrongly see the line ("header_checks saw a MIME header").
 */
final class HeaderChecksInteropCases {
    private HeaderChecksInteropCases() {}

    /**
     * @param postern what Postern must make of the case, given Postfix's outcome (as text):
     *                identity but where a difference is documented as deliberate or unavoidable
     */
    record Case(String name, String helo, List<String> rcpts, String message, UnaryOperator<String> postern) {
        String messageId() {
            return "<" + name + "@client.example>";
        }
    }

    static final int BODY_CHECKS_SIZE_LIMIT = 1000;
    static final int MIME_NESTING_LIMIT = 3;
    static final int HEADER_SIZE_LIMIT = 1000;

    private static final String HEADER_CHECKS = """
            /^Subject: reject plain$/\tREJECT
            /^Subject: reject text$/\tREJECT not wanted here
            /^Subject: reject defer$/\tREJECT 4.7.1 try again later
            /^Subject: reject code$/\tREJECT 5.7.9 custom code
            /^Subject: reject bad dsn$/\tREJECT 2.1.1 not a failure code
            /^Subject: discard me$/\tDISCARD dropped here
            /^Subject: hold me$/\tHOLD held for review
            /^Subject: warn me$/\tWARN suspicious
            /^Subject: info me$/\tINFO noticed
            /^Subject: replace me$/\tREPLACE Subject: replaced
            /^Subject: prepend me$/\tPREPEND X-Tag: prepended
            /^Subject: bad prepend$/\tPREPEND not a header
            /^Subject: bcc me$/\tBCC archive@dest.example
            /^Subject: redirect me$/\tREDIRECT catcher@dest.example
            /^Subject: filter me$/\tFILTER smtp:[127.0.0.1]:SINK
            /^Subject: pass me$/\tPASS trusted
            /^X-Junk:/\tIGNORE
            /^X-Strip:/\tSTRIP stripped
            /^X-Unknown-Action:/\tFROB something
            /^Subject: folded.*second line$/\tREJECT folded header seen
            /^X-Fold: one$/\tWARN dollar matched at a fold
            /^X-Multi: first$/m\tWARN m flag: dollar at a fold
            /^X-Neg: a[^!]*b/m\tWARN m flag: negated class crossed a fold
            /^X-Spaced: +value$/\tINFO spaced name
            /^Subject: (foo|foobar)/\tREPLACE Subject: [$1]
            /^Subject: caf/\tWARN eight-bit subject
            /^X-Long:.*line 29/\tREJECT saw past header_size_limit
            /^X-Many-29:/\tWARN header 29 of many
            /^Received: from own-received\\.example /\tINFO own Received header
            /^Content-Description:/\tREJECT header_checks saw a MIME header
            /^Subject: nested (evil|note)$/\tREJECT header_checks saw a nested header
            /^X-Part-Note:/\tREJECT header_checks saw a part header
            """;

    private static final String MIME_HEADER_CHECKS = """
            /^Content-Disposition:.*filename="?[^"]*\\.exe"?/\tREJECT executable attachment
            /^X-Part-Note:/\tWARN part header
            /^Content-Description: primary note$/\tINFO mime header in the primary header
            /^Content-Type:.*charset="?nested-mime/\tINFO mime header in a nested header
            /^Subject: nested/\tREJECT mime_header_checks saw a nested header
            """;

    private static final String NESTED_HEADER_CHECKS = """
            /^Subject: nested evil$/\tREJECT nested message rejected
            /^Subject: nested note$/\tINFO nested header seen
            /^X-Part-Note:/\tREJECT nested_header_checks saw a part header
            """;

    private static final String BODY_CHECKS = """
            /^reject this body line$/\tREJECT body rejected
            /^replace this line$/\tREPLACE replaced body line
            /^prepend to this line$/\tPREPEND prepended body line
            /^drop this line$/\tIGNORE
            /^warn this line$/\tWARN body warning
            /^discard this body$/\tDISCARD body discard
            /^late marker$/\tREJECT late marker seen
            /^bare cr line$/\tREJECT bare CR matched
            /^not a header line$/\tINFO garbage in the header became body
            /^Subject: nested/\tREJECT body_checks saw a nested header
            /^X-Part-Note:/\tREJECT body_checks saw a part header
            """;

    /** Writes the four tables into {@code dir}; returns the main.cf lines both MTAs get. */
    static Map<String, String> tables(Path dir, int sinkPort) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> conf = new LinkedHashMap<>();
        conf.put("header_checks", table(dir, "header_checks", HEADER_CHECKS.replace("SINK", String.valueOf(sinkPort))));
        conf.put("mime_header_checks", table(dir, "mime_header_checks", MIME_HEADER_CHECKS));
        conf.put("nested_header_checks", table(dir, "nested_header_checks", NESTED_HEADER_CHECKS));
        conf.put("body_checks", table(dir, "body_checks", BODY_CHECKS));
        conf.put("body_checks_size_limit", String.valueOf(BODY_CHECKS_SIZE_LIMIT));
        conf.put("mime_nesting_limit", String.valueOf(MIME_NESTING_LIMIT));
        conf.put("header_size_limit", String.valueOf(HEADER_SIZE_LIMIT));
        // Postfix 3.9's default (Postern's), for every client: a CR before CRLF is a stray CR
        // (cleanup_replace_stray_cr_lf makes it a space). Debian's 3.7 defaults to "no", and
        // exempt clients strip every CR before the LF (smtp_stream.c smtp_get()).
        conf.put("smtpd_forbid_bare_newline", "normalize");
        conf.put("smtpd_forbid_bare_newline_exclusions", "");
        return conf;
    }

    private static String table(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return "regexp:" + f;
    }

    private static Case simple(String name, String subject) {
        return message(name, subject, "", "body\n");
    }

    /** A message with From, To, Date, this Subject, these headers, its Message-ID last, then the body. */
    private static Case message(String name, String subject, String headers, String body) {
        return helo(name, "client.example", subject, headers, body);
    }

    private static Case helo(String name, String helo, String subject, String headers, String body) {
        return new Case(name, helo, BOB, "From: <alice@client.example>\nTo: <bob@dest.example>\nDate: Thu, 3 Dec 2026 18:00:00 +0000\n"
                + "Subject: " + subject + "\n" + headers + "Message-ID: <" + name + "@client.example>\n\n" + body,
                UnaryOperator.identity());
    }

    private static Case documented(Case c, UnaryOperator<String> postern) {
        return new Case(c.name(), c.helo(), c.rcpts(), c.message(), postern);
    }

    private static Case to(Case c, String... rcpts) {
        return new Case(c.name(), c.helo(), List.of(rcpts), c.message(), c.postern());
    }

    private static String filler() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; b.length() <= BODY_CHECKS_SIZE_LIMIT; i++) {
            b.append("filler line ").append(i).append(" of text that body_checks reads up to its limit\n");
        }
        return b.toString();
    }

    private static final List<String> BOB = List.of("bob@dest.example");
    private static final String MULTIPART = "MIME-Version: 1.0\nContent-Type: multipart/mixed;\n\tboundary=\"outer\"\n";

    /** multipart/mixed, these parts (each its headers, an empty line and its body). */
    private static Case multipart(String name, String subject, String... parts) {
        StringBuilder body = new StringBuilder("preamble\n");
        for (String p : parts) {
            body.append("--outer\n").append(p);
        }
        body.append("--outer--\n");
        return message(name, subject, MULTIPART, body.toString());
    }

    private static String nested(String headers, String body) {
        return "Content-Type: message/rfc822\n\nFrom: <carol@elsewhere.example>\n" + headers
                + "Message-ID: <inner@elsewhere.example>\n\n" + body;
    }

    /** {@code depth} multiparts one in the other; the innermost part has these headers. */
    private static Case deep(String name, int depth, String innermostHeaders) {
        StringBuilder head = new StringBuilder();
        StringBuilder tail = new StringBuilder();
        for (int i = 2; i <= depth; i++) {
            head.append("--b").append(i - 1).append("\nContent-Type: multipart/mixed; boundary=\"b").append(i).append("\"\n\n");
            tail.insert(0, "--b" + (i - 1) + "--\n");
        }
        String body = head + "--b" + depth + "\nContent-Type: text/plain\n" + innermostHeaders + "\ndeep\n--b" + depth + "--\n" + tail;
        return message(name, "nesting " + depth, "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n", body);
    }

    static final List<Case> CASES = List.of(
            simple("reject-plain", "reject plain"),
            simple("reject-text", "reject text"),
            simple("reject-defer", "reject defer"),
            simple("reject-code", "reject code"),
            simple("reject-bad-dsn", "reject bad dsn"),
            simple("discard", "discard me"),
            simple("hold", "hold me"),
            simple("warn", "warn me"),
            simple("warn-upper-case", "WARN ME"),
            to(simple("warn-two-rcpts", "warn me"), "bob@dest.example", "carol@dest.example"),
            simple("info", "info me"),
            simple("replace", "replace me"),
            simple("prepend", "prepend me"),
            simple("bad-prepend", "bad prepend"),
            message("ignore-strip", "ignore and strip", "X-Junk: dropped\nX-Strip: dropped too,\n\tfolded\nX-Kept: kept\n", "body\n"),
            message("unknown-action", "unknown action", "X-Unknown-Action: x\n", "body\n"),
            simple("bcc", "bcc me"),
            simple("redirect", "redirect me"),
            simple("filter", "filter me"),
            message("pass", "pass me", "", "reject this body line\n"),
            simple("folded", "folded\n\tsecond line"),
            // A folded header is one text with a newline: POSIX $ only at its end, and with the m
            // flag (REG_NEWLINE) also at the newline, where [^...] no longer matches the newline.
            message("fold-dollar", "fold dollar", "X-Fold: one\n two\n", "body\n"),
            message("m-flag-dollar", "m flag dollar", "X-Multi: first\n second\n", "body\n"),
            message("m-flag-negated-class", "m flag negated class", "X-Neg: a\n b\n", "body\n"),
            // "Name :" is "Name:" for the tables and in the queue file (mime_state.c).
            message("spaced-name", "spaced name", "X-Spaced  :  value\n", "body\n"),
            // Documented, unavoidable with java.util.regex: it takes the first alternative that
            // matches (Perl's leftmost-first), POSIX regexec() the longest (leftmost-longest), so a
            // group's $n can differ; whether a pattern matches at all never does.
            documented(simple("longest-match", "foobar is the longest"), pf -> pf.replace("[foobar]", "[foo]")),
            simple("eight-bit", "caf\u00e9"),
            helo("own-received", "own-received.example", "own received", "", "body\n"),
            // A Resent- header: Resent-Message-Id, Resent-Date and Resent-From are what cleanup adds.
            message("resent-message-id", "resent", "Resent-Message-ID: <resent@client.example>\n", "body\n"),
            message("resent-without-id", "resent without id", "Resent-To: <carol@dest.example>\n", "body\n"),
            message("body-reject", "body reject", "", "first\nreject this body line\nlast\n"),
            message("body-edit", "body edit", "",
                    "keep\nreplace this line\nprepend to this line\ndrop this line\nwarn this line\nend\n"),
            message("body-discard", "body discard", "", "discard this body\n"),
            message("size-limit-late", "size limit late", "", filler() + "late marker\n"),
            message("size-limit-early", "size limit early", "", "late marker\n" + filler()),
            multipart("size-limit-part", "size limit per part",
                    "Content-Type: text/plain\n\n" + filler(), "Content-Type: text/plain\n\nlate marker\n"),
            // CR CR LF: the line ends with a stray CR (see smtpd_forbid_bare_newline in tables()).
            message("bare-cr", "bare cr", "", "bare cr line\r\n"),
            new Case("garbage", "client.example", BOB, "From: <alice@client.example>\nTo: <bob@dest.example>\n"
                    + "Date: Thu, 3 Dec 2026 18:00:00 +0000\nSubject: garbage\nMessage-ID: <garbage@client.example>\n"
                    + "not a header line\nbody\n", UnaryOperator.identity()),
            multipart("mime-exe", "mime exe", "Content-Type: text/plain\n\nsee attachment\n",
                    "Content-Type: application/octet-stream\nContent-Disposition: attachment;\n\tfilename=\"setup.exe\"\n\nTVqQAAMAAAAEAAAA\n"),
            multipart("mime-part-header", "mime part header",
                    "Content-Type: text/plain\nX-Part-Note: a part's own header\n\nwarn this line\n"),
            message("mime-primary", "mime primary", "Content-Description: primary note\n", "body\n"),
            multipart("nested-reject", "nested outer", "Content-Type: text/plain\n\nforwarded\n",
                    nested("Subject: nested evil\n", "inner body\n")),
            multipart("nested-info", "nested outer", nested(
                    "Subject: nested note\nMIME-Version: 1.0\nContent-Type: text/plain; charset=\"nested-mime\"\n",
                    "warn this line\n")),
            message("nested-primary", "nested primary", "MIME-Version: 1.0\nContent-Type: message/rfc822\n",
                    "From: <carol@elsewhere.example>\nSubject: nested note\nMessage-ID: <inner@elsewhere.example>\n\nwarn this line\n"),
            message("digest", "digest", "MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=\"d\"\n",
                    "--d\n\nFrom: <carol@elsewhere.example>\nSubject: nested note\n\nwarn this line\n--d--\n"),
            // Postfix's mime_state starts its nesting level at -1: limit + 2 boundaries are followed;
            // one more is a MIME error, which rejects the message when header checks are configured.
            deep("nesting-at-limit", MIME_NESTING_LIMIT + 2, "X-Part-Note: deepest\n"),
            deep("nesting-over-limit", MIME_NESTING_LIMIT + 3, ""),
            message("bare-cr-kept", "bare cr kept", "", "a line with a CR before its end\r\nand one with two\r\r\n"),
            // header_size_limit: text past it is not appended to a header, and the header is
            // written cut at its last line before the limit (cleanup_out_header()); the limit is
            // per header, not for the header block.
            message("long-header", "long header", "X-Long: line 0\n" + lines(1, 30, "\tline %d of one header, long enough to pass the limit\n"), "body\n"),
            message("many-headers", "many headers", lines(0, 30, "X-Many-%d: one of many short headers\n"), "body\n"));

    private static String lines(int from, int to, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            b.append(String.format(format, i));
        }
        return b.toString();
    }
}

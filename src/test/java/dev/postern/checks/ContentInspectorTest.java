package dev.postern.checks;

import dev.postern.mail.MailAddress;
import dev.postern.mail.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Header and body checks over real regexp tables: which table sees which header (primary, MIME,
 * nested), what each action does to the content, the MIME walk (boundaries, message/rfc822,
 * body_checks_size_limit per part), and that the result does not depend on how the content was cut
 * into writes.
 */
class ContentInspectorTest {
    @TempDir
    Path dir;

    /** What the actions did, in order, as the transaction would see them. */
    static final class Recorder implements CheckActions.Target {
        final boolean messageActions;
        final List<String> events = new ArrayList<>();
        boolean held;
        boolean discarded;
        Reply rejected;
        String filter;
        MailAddress redirect;
        final List<MailAddress> bcc = new ArrayList<>();

        Recorder() {
            this(true);
        }

        Recorder(boolean messageActions) {
            this.messageActions = messageActions;
        }

        @Override
        public boolean messageActions() {
            return messageActions;
        }

        @Override
        public boolean heldOrDiscarded() {
            return held || discarded;
        }

        @Override
        public void hold() {
            held = true;
        }

        @Override
        public void discard() {
            discarded = true;
        }

        @Override
        public void filter(String t) {
            filter = t;
        }

        @Override
        public void redirect(MailAddress to) {
            redirect = to;
        }

        @Override
        public void bcc(MailAddress to) {
            bcc.add(to);
        }

        @Override
        public void reject(Reply reply) {
            rejected = reply;
        }

        @Override
        public void lookupFailed(String parameter, dev.postern.maps.LookupException cause) {
            events.add("lookup failed: " + parameter);
        }

        @Override
        public void log(String action, String where, String content, String text) {
            events.add(action + ": " + where + " " + content + (text.isEmpty() ? "" : ": " + text));
        }

        @Override
        public void warn(String text) {
            events.add("warning: " + text);
        }

        @Override
        public void mimeNestingExceeded(String header) {
            events.add("mime nesting: " + header);
        }
    }

    private Path table(String name, String... rules) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, List.of(rules));
        return p;
    }

    private static ContentCheckSettings settings(Path header, Path mime, Path nested, Path body, long bodyLimit) {
        return new ContentCheckSettings("", spec(header), spec(mime), spec(nested), spec(body), bodyLimit, true, 100, 2048,
                2048, 102400);
    }

    private static List<String> spec(Path p) {
        return p == null ? List.of() : List.of("regexp:" + p);
    }

    /** Runs the message through in one write, then byte by byte, and checks both give the same content and actions. */
    private static String run(ContentCheckSettings s, String message, Recorder r) {
        String whole = feed(s, message, r, message.length());
        Recorder again = new Recorder(r.messageActions);
        String bytewise = feed(s, message, again, 1);
        assertEquals(whole, bytewise, "the same content whatever the writes");
        assertEquals(r.events, again.events, "the same actions whatever the writes");
        return whole;
    }

    private static String feed(ContentCheckSettings s, String message, Recorder r, int step) {
        ContentInspector in = new ContentInspector(ContentChecks.open(s), r);
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < b.length; i += step) {
            byte[] part = java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + step));
            out.writeBytes(in.feed(part));
        }
        out.writeBytes(in.finish());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void headerActionsSeeTheLogicalHeaderAndChangeOnlyWhatTheyMatch() throws IOException {
        Path h = table("header_checks",
                "/^Subject:.*secret.*second line/ REPLACE Subject: [redacted]",
                "/^X-Mailer:/ IGNORE",
                "/^Received:.*192\\.0\\.2\\.1/ IGNORE",
                "/^To:/ PREPEND X-Seen: yes",
                "/^Cc:/ WARN carbon copy");
        Recorder r = new Recorder();
        String msg = "Received: from desktop (desktop [192.0.2.1])\r\n\tby mx; Thu, 3 Dec 2026 10:00:00 +0000\r\n"
                + "Received: from elsewhere\r\n"
                + "Subject: a secret\r\n second line\r\n"
                + "X-Mailer: Thing 1.0\r\n"
                + "To: <b@example.org>\r\n"
                + "Cc: c@example.org\r\n"
                + "From : a@example.org\r\n"
                + "\r\n"
                + "Subject: in the body, not a header\r\n";
        String out = run(settings(h, null, null, null, 51200), msg, r);
        assertEquals("Received: from elsewhere\r\n"
                + "Subject: [redacted]\r\n"
                + "X-Seen: yes\r\n"
                + "To: <b@example.org>\r\n"
                + "Cc: c@example.org\r\n"
                + "From: a@example.org\r\n" // "Name :" written as "Name:", as Postfix's cleanup does
                + "\r\n"
                + "Subject: in the body, not a header\r\n", out);
        assertEquals(List.of("replace: header Subject: a secret\n second line: Subject: [redacted]",
                "prepend: header To: <b@example.org>: X-Seen: yes",
                "warning: header Cc: c@example.org: carbon copy"), r.events);
    }

    @Test
    void theHopCountIsTakenBeforeAHeaderIsRemoved() throws IOException {
        Path h = table("header_checks", "/^Received:/ IGNORE");
        ContentInspector in = new ContentInspector(ContentChecks.open(settings(h, null, null, null, 0)), new Recorder());
        in.feed("Received: one\r\nReceived: two\r\nSubject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        in.finish();
        assertEquals(2, in.primaryReceived());
    }

    @Test
    void mimePartsAndAttachedMessagesGoToTheirOwnTables() throws IOException {
        Path header = table("header", "/^Subject:/ INFO primary subject");
        Path mime = table("mime", "/^Content-Disposition:.*filename=\"?[^\"]*\\.exe/ REJECT 5.7.0 no executables here",
                "/^Content-Type:/ INFO mime type");
        Path nested = table("nested", "/^Subject:/ INFO nested subject");
        Path body = table("body", "/^--/ INFO boundary", "/forbidden/ INFO word");
        Recorder r = new Recorder();
        String msg = "Subject: outer\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n"
                + "\r\n"
                + "preamble\r\n"
                + "--outer\r\n"
                + "Content-Type: text/plain\r\n"
                + "\r\n"
                + "a forbidden word\r\n"
                + "--outer\r\n"
                + "Content-Type: message/rfc822\r\n"
                + "\r\n"
                + "Subject: inner\r\n"
                + "Content-Type: text/plain\r\n"
                + "\r\n"
                + "Subject: inner body text\r\n"
                + "--outer--\r\n"
                + "epilogue\r\n";
        run(settings(header, mime, nested, body, 51200), msg, r);
        assertEquals(List.of(
                "info: header Subject: outer: primary subject",
                "info: header Content-Type: multipart/mixed;\n boundary=\"outer\": mime type",
                "info: body --outer: boundary",
                "info: header Content-Type: text/plain: mime type",
                "info: body a forbidden word: word",
                "info: body --outer: boundary",
                "info: header Content-Type: message/rfc822: mime type",
                "info: header Subject: inner: nested subject",
                "info: header Content-Type: text/plain: mime type", // MIME headers use mime_header_checks, nested or not
                "info: body --outer--: boundary"), r.events);
        assertNull(r.rejected);

        Recorder exe = new Recorder();
        String attachment = "Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"setup.exe\"\r\n\r\n"
                + "TVqQAAMAAAAEAAAA\r\n--b1--\r\n";
        String out = run(settings(null, mime, null, null, 51200), attachment, exe);
        assertEquals(Reply.of(550, "5.7.0", "no executables here"), exe.rejected);
        assertEquals("reject: header Content-Disposition: attachment; filename=\"setup.exe\": 5.7.0 no executables here",
                exe.events.get(exe.events.size() - 1));
        assertFalse(out.contains("TVqQ"), "nothing is written after a REJECT");
    }

    @Test
    void withoutMimeProcessingEverythingAfterThePrimaryHeaderIsBody() throws IOException {
        Path mime = table("mime", "/^Content-Type:/ INFO mime type");
        Path body = table("body", "/^Content-Type:/ INFO body line");
        ContentCheckSettings s = new ContentCheckSettings("", List.of(), spec(mime), List.of(), spec(body), 51200, false, 100,
                2048, 2048, 102400);
        Recorder r = new Recorder();
        run(s, "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", r);
        assertEquals(List.of("info: header Content-Type: multipart/mixed; boundary=b: mime type",
                "info: body Content-Type: text/plain: body line"), r.events);
    }

    @Test
    void bodyChecksSeeTheFirstBytesOfEachPartOnly() throws IOException {
        Path body = table("body", "/needle/ INFO found");
        Recorder r = new Recorder();
        String filler = "x".repeat(98) + "\r\n"; // 99 bytes + 1, as Postfix counts a record and its end
        String msg = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\n\r\n" + filler + "needle early\r\n" + filler + filler + "needle late\r\n"
                + "--b\r\n\r\nneedle in the second part\r\n--b--\r\n";
        run(settings(null, null, null, body, 250), msg, r);
        assertEquals(List.of("info: body needle early: found", "info: body needle in the second part: found"), r.events);
    }

    @Test
    void aHeaderBlockEndedByTextGetsItsEmptyLine() throws IOException {
        Path h = table("header", "/^Subject:/ INFO s");
        Path body = table("body", "/^not a header/ INFO body");
        Recorder r = new Recorder();
        String out = run(settings(h, null, null, body, 0), "Subject: x\r\nnot a header line\r\nmore\r\n", r);
        assertEquals("Subject: x\r\n\r\nnot a header line\r\nmore\r\n", out);
        assertEquals(List.of("info: header Subject: x: s", "info: body not a header line: body"), r.events);
    }

    @Test
    void longLinesAreAskedInPiecesOfTheLineLengthLimit() throws IOException {
        Path body = table("body", "/^b+$/ REPLACE B", "/^c/ PREPEND new line");
        Recorder r = new Recorder();
        String line = "a".repeat(2048) + "b".repeat(2048) + "c".repeat(10);
        String out = run(settings(null, null, null, body, 0), "Subject: x\r\n\r\n" + line + "\r\nend\r\n", r);
        // the second piece is replaced in place; the PREPEND's line ends the piece before it, as Postfix's records do
        assertEquals("Subject: x\r\n\r\n" + "a".repeat(2048) + "B" + "new line\r\n" + "c".repeat(10) + "\r\nend\r\n", out);
        assertEquals(2, r.events.size());
    }

    @Test
    void messageActionsReachTheTransactionAndStopInspectionWherePostfixDoes() throws IOException {
        Path h = table("header", "/^X-Hold:/ HOLD held for review", "/^X-Hold-Again:/ HOLD again",
                "/^X-Filter:/ FILTER smtp-amavis:[127.0.0.1]:10024", "/^X-Bad-Filter:/ FILTER nocolon",
                "/^X-Bcc:/ BCC archive@example.org", "/^X-Redirect:/ REDIRECT quarantine@example.org",
                "/^X-After:/ WARN never seen", "/^X-Unknown:/ FROB it");
        Recorder r = new Recorder();
        run(settings(h, null, null, null, 0), "X-Hold: 1\r\nX-Hold-Again: 1\r\nX-Filter: 1\r\nX-Bad-Filter: 1\r\n"
                + "X-Unknown: 1\r\nX-Bcc: 1\r\nX-Redirect: 1\r\nX-After: 1\r\n\r\nbody\r\n", r);
        assertTrue(r.held);
        assertEquals("smtp-amavis:[127.0.0.1]:10024", r.filter);
        assertEquals(List.of(MailAddress.parse("archive@example.org")), r.bcc);
        assertEquals(MailAddress.parse("quarantine@example.org"), r.redirect);
        assertEquals(List.of("hold: header X-Hold: 1: held for review",
                "filter: header X-Filter: 1: smtp-amavis:[127.0.0.1]:10024",
                "warning: bad FILTER command nocolon in header_checks -- need transport:destination",
                "warning: unknown command in header_checks map: FROB it",
                "bcc: header X-Bcc: 1: archive@example.org",
                "redirect: header X-Redirect: 1: quarantine@example.org"), r.events, "REDIRECT ends inspection");
    }

    @Test
    void rejectTextFollowsDsnPrepend() throws IOException {
        Path h = table("header", "/^X-A:/ REJECT", "/^X-B:/ REJECT 4.7.1 try later", "/^X-C:/ REJECT go away",
                "/^X-D:/ REJECT 2.0.0 odd");
        String[] cases = {"X-A: 1", "X-B: 1", "X-C: 1", "X-D: 1"};
        Reply[] want = {Reply.of(550, "5.7.1", "message content rejected"), Reply.of(451, "4.7.1", "try later"),
                Reply.of(550, "5.7.1", "go away"), Reply.of(451, "4.0.0", "odd")};
        for (int i = 0; i < cases.length; i++) {
            Recorder r = new Recorder();
            run(settings(h, null, null, null, 0), cases[i] + "\r\n\r\nbody\r\n", r);
            assertEquals(want[i], r.rejected, cases[i]);
        }
    }

    /** Where the message is queued already (the SMTP client), only content actions exist, as Postfix's hbc_action(). */
    @Test
    void withoutMessageActionsTheyAreUnsupportedAndTheHeaderIsKept() throws IOException {
        Path h = table("smtp_header_checks", "/^X-Hold:/ HOLD", "/^X-Reject:/ REJECT no", "/^Received:/ IGNORE",
                "/^Subject:/ REPLACE Subject: replaced", "/^X-Odd:/ FROB");
        Recorder r = new Recorder(false);
        ContentCheckSettings s = new ContentCheckSettings("smtp_", spec(h), List.of(), List.of(), List.of(), 51200, true,
                100, 2048, 2048, 102400);
        String out = run(s, "Received: x\r\nX-Hold: 1\r\nX-Reject: 1\r\nX-Odd: 1\r\nSubject: s\r\n\r\nbody\r\n", r);
        assertEquals("X-Hold: 1\r\nX-Reject: 1\r\nX-Odd: 1\r\nSubject: replaced\r\n\r\nbody\r\n", out);
        assertFalse(r.held);
        assertNull(r.rejected);
        assertEquals(List.of("warning: unsupported command in smtp_header_checks map: HOLD",
                "warning: unsupported command in smtp_header_checks map: REJECT no",
                "warning: unsupported command in smtp_header_checks map: FROB",
                "replace: header Subject: s: Subject: replaced"), r.events);
    }

    private static ContentCheckSettings limits(Path header, Path body, int nesting, int lineLimit, long headerLimit) {
        return new ContentCheckSettings("", spec(header), spec(header), spec(header), spec(body), 0, true, nesting, 2048,
                lineLimit, headerLimit);
    }

    /** A header past header_size_limit is cut, but its line still ends: the blank line after it stays the end of the header. */
    @Test
    void aHeaderCutAtTheSizeLimitKeepsItsLineEnd() throws IOException {
        Path h = table("header", "/^Bcc:/ REJECT");
        Path body = table("body", "/^Bcc:/ INFO in the body");
        Recorder r = new Recorder();
        String out = run(limits(h, body, 100, 2048, 5000), "Subject: ok\r\nX-Long: " + "a".repeat(9000)
                + "\r\n\r\nBcc: smuggled@example.org\r\n\r\nbody\r\n", r);
        assertNull(r.rejected);
        assertEquals(List.of("info: body Bcc: smuggled@example.org: in the body"), r.events);
        assertTrue(out.contains("\r\n\r\nBcc: smuggled@example.org\r\n"), "the Bcc line stays body: " + out.length());
        assertEquals(1, out.split("\r\n\r\n", -1).length - 2, "one blank line ends the header, one is the body's own");
    }

    /** $1 of a folded header holds its newline: written as a continuation line, never a bare LF. */
    @Test
    void aReplacementWithAFoldedHeadersTextFoldsItWithCrlf() throws IOException {
        Path h = table("header", "/^Subject: (.*)/ REPLACE Subject: [SPAM] $1", "/^X-Tag: (.*)/ PREPEND X-Was: $1");
        Recorder r = new Recorder();
        String out = run(limits(h, null, 100, 2048, 102400), "Subject: first\r\n second\r\nX-Tag: a\r\nb-not-folded\r\n\r\n", r);
        assertTrue(out.startsWith("Subject: [SPAM] first\r\n second\r\n"), out);
        assertFalse(out.replace("\r\n", "").contains("\n"), "no bare LF: " + out);

        Recorder r2 = new Recorder();
        Path h2 = table("header2", "/^X-Tag: (.*)/ REPLACE X-Tag: $1");
        String out2 = run(limits(h2, null, 100, 2048, 102400), "X-Tag: one\r\n\ttwo\r\n\r\nbody\r\n", r2);
        assertEquals("X-Tag: one\r\n\ttwo\r\n\r\nbody\r\n", out2);
    }

    /** Deeper than mime_nesting_limit: reported once (cleanup refuses the message), the rest not followed. */
    @Test
    void nestingDeeperThanTheLimitIsReported() throws IOException {
        Path h = table("header", "/^Content-Disposition:.*\\.exe/ INFO executable");
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            m.append("Content-Type: multipart/mixed; boundary=b").append(i).append("\r\n\r\n--b").append(i).append("\r\n");
        }
        m.append("Content-Disposition: attachment; filename=x.exe\r\n\r\nMZ\r\n");
        Recorder r = new Recorder();
        run(limits(h, null, 2, 2048, 102400), m.toString(), r); // Postfix's level starts at -1: 4 boundaries are followed
        assertEquals(List.of("mime nesting: Content-Type: multipart/mixed; boundary=b4"), r.events);
        Recorder deepEnough = new Recorder();
        run(limits(h, null, 4, 2048, 102400), m.toString(), deepEnough);
        assertEquals(List.of("info: header Content-Disposition: attachment; filename=x.exe: executable"), deepEnough.events);
    }

    @Test
    void oddContentTypesAndLongHeaderNamesAreTakenAsPostfixTakesThem() throws IOException {
        Path h = table("header", "/^X-N+:/ INFO long name", "/^Content-Disposition:/ INFO part header");
        Recorder r = new Recorder();
        String name = "X-" + "N".repeat(1500);
        run(limits(h, null, 100, 2048, 102400), "Content-Type:\r\n" + name + ": v\r\n\r\nbody\r\n", r);
        assertEquals(List.of("info: header " + name + ": v: long name"), r.events, "an empty Content-Type is no error");

        Recorder special = new Recorder(); // boundary=/ is the boundary "/", as header_token() gives it
        run(limits(h, null, 100, 2048, 102400), "Content-Type: multipart/mixed; boundary=/\r\n\r\n--x\r\n"
                + "Content-Disposition: not a part header\r\n--/\r\nContent-Disposition: inline\r\n\r\nx\r\n", special);
        assertEquals(List.of("info: header Content-Disposition: inline: part header"), special.events);
    }

    /** A REPLACE writes the matched text back in the charset it was read with: 8-bit bytes stay as they came. */
    @Test
    void eightBitTextKeepsItsBytes() throws IOException {
        Path h = table("header", "/^Subject: (.*)/ REPLACE Subject: [x] $1");
        ContentInspector in = new ContentInspector(ContentChecks.open(limits(h, null, 100, 2048, 102400)), new Recorder());
        byte[] latin1 = "Subject: caf\u00e9\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(in.feed(latin1));
        out.writeBytes(in.finish());
        assertEquals("Subject: [x] caf\u00e9\r\n\r\n", out.toString(StandardCharsets.ISO_8859_1));
        assertEquals(latin1.length + 4, out.size(), "the one byte of \u00e9 stays one byte");
    }

    /** Where the message is queued already (SMTP client), a header past header_size_limit goes out whole; only the key is cut. */
    @Test
    void withoutMessageActionsALongHeaderIsSentWhole() throws IOException {
        Path body = table("body", "/^NOTHING$/ IGNORE");
        String big = "X-Big: start\r\n" + " folded line of a long header\r\n".repeat(300);
        String msg = "Subject: s\r\n" + big + "To: b@example.org\r\n\r\nbody\r\n";
        Recorder r = new Recorder(false);
        assertEquals(msg, run(limits(null, body, 100, 2048, 5000), msg, r));
        Recorder cleanup = new Recorder(true);
        assertTrue(run(limits(null, body, 100, 2048, 5000), msg, cleanup).length() < msg.length(), "cleanup cuts, as Postfix's");
    }
}

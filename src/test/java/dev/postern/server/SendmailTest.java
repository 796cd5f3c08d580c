package dev.postern.server;

import dev.postern.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * sendmail as programs call it, in-process and as a real process: with the daemon down the message
 * waits in maildrop/ and is delivered when the real server starts; with it up, pickup takes it
 * within a deadline. Checked by what the loopback next hop received and by the mail log.
 */
class SendmailTest {
    static final String ORIGIN = "myorigin = origin.test\n";

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run sendmail(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new ByteArrayOutputStream(),
                new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** What TestMta will run with, written before the daemon exists (sendmail only reads main.cf's names). */
    static void writeConfigBeforeStart(Path dir) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n" + ORIGIN
                + "queue_directory = " + dir.resolve("queue") + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
    }

    /** Messages the sink got, sorted by sender so the order of delivery does not matter. */
    static List<RecordingSink.Message> take(RecordingSink sink, int n) throws Exception {
        List<RecordingSink.Message> got = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RecordingSink.Message m = sink.take(60);
            assertNotNull(m, "message " + (i + 1) + " of " + n + " not delivered");
            got.add(m);
        }
        got.sort(Comparator.comparing(RecordingSink.Message::mailFrom));
        return got;
    }

    @Test
    void daemonDownInProcessAndAsProcessThenDeliveredAtStart() throws Exception {
        writeConfigBeforeStart(dir);
        Run r = sendmail("Subject: while down\nBcc: secret@hidden.test\n\nhello\n.\nnot part of the message\n",
                "sendmail", "-C", dir.toString(), "-f", "alice", "-F", "Alice Example", "bob@remote.test", "carol");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("the mail system is not running"), r.err());
        assertEquals(1, LocalCommand.maildrop(dir.resolve("queue")).size(), "the message waits in maildrop/");

        LocalCommand.Result p = LocalCommand.run(LocalCommand.postern("sendmail", "-C", dir.toString(), "-oi", "-odb",
                "-o", "Q", "dave@remote.test"), "To: dave@remote.test\nSubject: from a process\n\n.\nstill here\n", Map.of());
        assertEquals(0, p.exit(), p.err());
        assertEquals(2, LocalCommand.maildrop(dir.resolve("queue")).size());

        long uid = LocalCommand.uid();
        String login = System.getProperty("user.name");
        try (TestMta mta = TestMta.start(dir, ORIGIN, "")) {
            List<RecordingSink.Message> got = take(mta.sink, 2);
            RecordingSink.Message alice = got.get(0);
            assertEquals("<alice@origin.test>", alice.mailFrom(), "-f without a domain gets @$myorigin");
            assertEquals(List.of("<bob@remote.test>", "<carol@origin.test>"), alice.rcptTo());
            String data = alice.data();
            assertTrue(data.startsWith("Received: by mx.postern.test (Postern, from userid " + uid + ")\r\n\tid "), data);
            assertTrue(data.contains("\r\nFrom: Alice Example <alice@origin.test>\r\n"), "From added with -F: " + data);
            assertTrue(data.contains("\r\nMessage-Id: <") && data.contains("\r\nDate: "), data);
            assertFalse(data.contains("Bcc") || data.contains("secret@hidden.test"), "Bcc removed: " + data);
            assertTrue(data.endsWith("\r\n\r\nhello\r\n"), "a lone dot ended the input: " + data);

            RecordingSink.Message dave = got.get(1);
            assertEquals("<" + login + "@origin.test>", dave.mailFrom(), "default sender: login name @$myorigin");
            assertEquals(List.of("<dave@remote.test>"), dave.rcptTo());
            assertTrue(dave.data().endsWith("\r\n\r\n.\r\nstill here\r\n"), "-oi: the dot is content: " + dave.data());
            assertTrue(dave.data().contains("\r\nFrom: "), dave.data());

            String log = mta.awaitLog("status=sent[\\s\\S]*status=sent", Duration.ofSeconds(30));
            // pickup logs the sender as given, as pickup.c; qmgr the completed one
            assertTrue(log.matches("(?s).*postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=" + uid + " from=<alice>\n.*"), log);
            assertTrue(log.matches("(?s).*postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=" + uid + " from=<" + login + ">\n.*"), log);
            assertTrue(log.matches("(?s).*postern/qmgr\\[\\d+\\]: [0-9A-Z]+: from=<alice@origin\\.test>, size=.*"), log);
            assertTrue(log.contains(": to=<carol@origin.test>, orig_to=<carol>, relay="), "orig_to as sendmail was given it: " + log);
            assertTrue(log.contains(": to=<bob@remote.test>, relay="), "given complete: no orig_to= " + log);
            assertEquals(List.of(), LocalCommand.maildrop(dir.resolve("queue")), "maildrop emptied after the commits");
        }
    }

    @Test
    void daemonUpPicksUpWithinDeadlineAndMinusTTakesHeaderRecipients() throws Exception {
        try (TestMta mta = TestMta.start(dir, ORIGIN, "")) {
            LocalCommand.Result p = LocalCommand.run(LocalCommand.postern("-c", dir.toString(), "sendmail", "-t", "-i",
                    "extra@remote.test", "cc@REMOTE.test"),
                    "From: Sender <sender@remote.test>\nTo: \"Doe, J\" <to@remote.test>, plain\nCc: cc@remote.test\n"
                            + "Bcc: hidden@remote.test\nSubject: -t\n\nbody\n", Map.of());
            assertEquals(0, p.exit(), p.err());
            assertFalse(p.err().contains("not running"), p.err());
            RecordingSink.Message m = mta.sink.take(30);
            assertNotNull(m, "picked up and delivered within 30 s");
            assertEquals(List.of("<extra@remote.test>", "<cc@REMOTE.test>", "<to@remote.test>", "<plain@origin.test>",
                    "<hidden@remote.test>"), m.rcptTo(), "argument recipients plus To, Cc and Bcc, as Postfix 2.1+, each once");
            assertFalse(m.data().contains("Bcc:") || m.data().contains("hidden@"), "Bcc header removed: " + m.data());
            assertTrue(m.data().contains("\r\nFrom: Sender <sender@remote.test>\r\n"), "an existing From is kept");
            assertTrue(m.data().contains("\r\nTo: \"Doe, J\" <to@remote.test>, plain@origin.test\r\n"),
                    "header addresses qualified with @$myorigin: " + m.data());
            mta.awaitLog("postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=\\d+ from=<", Duration.ofSeconds(10));
        }
    }

    /**
     * What sendmail is given goes into maildrop/ as given and cleanup completes it in
     * trivial-rewrite's local context, as Postfix's postdrop, pickup and cleanup do: a bang path
     * (swap_bangpath), the percent hack (allow_percent_hack), a bare name (@$myorigin), a host
     * without a dot (append_dot_mydomain, the default below compatibility_level 1); each delivery
     * line says what was given as orig_to=, as Postfix's orig_rcpt. With the switches off,
     * sendmail refuses what cleanup could not make an address of.
     */
    @Test
    void routingFormsAndBareNamesAreCompletedInTheLocalContextWithTheirOriginals() throws Exception {
        try (TestMta mta = TestMta.start(dir, ORIGIN, "")) {
            Run r = sendmail("Subject: forms\n\nhi\n", "-c", dir.toString(), "sendmail", "-f", "joe",
                    "remote.test!bob", "carol%remote.test", "root", "dave@laptop", "erin@remote.test");
            assertEquals(0, r.code(), r.err());
            RecordingSink.Message m = mta.sink.take(30);
            assertNotNull(m, "picked up and delivered");
            assertEquals("<joe@origin.test>", m.mailFrom());
            assertEquals(List.of("<bob@remote.test>", "<carol@remote.test>", "<root@origin.test>",
                    "<dave@laptop.postern.test>", "<erin@remote.test>"), m.rcptTo());
            String log = mta.awaitLog("(status=sent[\\s\\S]*){5}", Duration.ofSeconds(30));
            assertTrue(log.matches("(?s).*postern/pickup\\[\\d+\\]: [0-9A-Z]+: uid=\\d+ from=<joe>\n.*"), log);
            for (String line : List.of("to=<bob@remote.test>, orig_to=<remote.test!bob>,",
                    "to=<carol@remote.test>, orig_to=<carol%remote.test>,", "to=<root@origin.test>, orig_to=<root>,",
                    "to=<dave@laptop.postern.test>, orig_to=<dave@laptop>,", "to=<erin@remote.test>, relay=")) {
                assertTrue(log.contains(line), line + " in " + log);
            }
        }
        Files.writeString(dir.resolve("main.cf"), "append_at_myorigin = no\nswap_bangpath = no\nallow_percent_hack = no\n",
                java.nio.file.StandardOpenOption.APPEND);
        int before = LocalCommand.maildrop(dir.resolve("queue")).size();
        String c = dir.toString();
        assertFailure(67, "<root>: bad recipient address: no domain, and append_at_myorigin is off", "sendmail", "-C", c,
                "-f", "joe@origin.test", "root");
        assertFailure(67, "<remote.test!bob>: bad recipient address", "sendmail", "-C", c, "-f", "joe@origin.test",
                "remote.test!bob");
        assertFailure(67, "<carol%remote.test>: bad recipient address", "sendmail", "-C", c, "-f", "joe@origin.test",
                "carol%remote.test");
        assertFailure(64, "<joe>: bad -f sender address: no domain, and append_at_myorigin is off", "sendmail", "-C", c,
                "-f", "joe", "bob@remote.test");
        assertEquals(before, LocalCommand.maildrop(dir.resolve("queue")).size(), "nothing queued by a refused call");
    }

    @Test
    void malformedMaildropFileIsMovedAsideWithAWarning() throws Exception {
        try (TestMta mta = TestMta.start(dir, ORIGIN, "")) {
            Path maildrop = dir.resolve("queue").resolve("maildrop");
            Path bad = maildrop.resolve("0000000000001.1.deadbeef");
            Files.writeString(maildrop.resolve(".tmp-x"), "junk");
            Files.move(maildrop.resolve(".tmp-x"), bad);
            mta.awaitLog("postern/pickup\\[\\d+\\]: warning: maildrop/0000000000001\\.1\\.deadbeef: uid=\\d+: "
                    + "not a maildrop file .*; moved to .*corrupt/maildrop-0000000000001\\.1\\.deadbeef", Duration.ofSeconds(30));
            assertEquals("junk", Files.readString(dir.resolve("queue").resolve("corrupt").resolve("maildrop-" + bad.getFileName())));
            assertFalse(Files.exists(bad));
            // A symbolic link, even to a valid maildrop file, is not followed.
            Path elsewhere = dir.resolve("elsewhere");
            Files.write(elsewhere, ("postern-maildrop 1\nsender a@a.test\nrcpt linked@remote.test\nsize 3\n\nx\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            Files.createSymbolicLink(maildrop.resolve("0000000000002.1.feedface"), elsewhere);
            mta.awaitLog("warning: maildrop/0000000000002\\.1\\.feedface: uid=\\d+: not a regular file; moved to "
                    + ".*corrupt/maildrop-0000000000002\\.1\\.feedface", Duration.ofSeconds(30));
            Run ok = sendmail("Subject: after\n\nx\n", "sendmail", "-C", dir.toString(), "bob@remote.test");
            assertEquals(0, ok.code(), ok.err());
            RecordingSink.Message after = mta.sink.take(30);
            assertNotNull(after, "good mail still flows");
            assertEquals(List.of("<bob@remote.test>"), after.rcptTo(), "the linked file was not delivered");

            // A hand-made file whose recipient completes to a short address but is too long to be kept
            // as its original (a source route, dropped by the completion): delivered, without orig_to=.
            String route = "@" + "a".repeat(300) + ".example:carol@remote.test";
            Files.write(maildrop.resolve(".tmp-y"), ("postern-maildrop 1\nsender a@a.test\nrcpt " + route + "\nsize 3\n\nx\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            Files.move(maildrop.resolve(".tmp-y"), maildrop.resolve("0000000000003.1.cafe"));
            RecordingSink.Message routed = mta.sink.take(30);
            assertNotNull(routed, "delivered, not moved aside");
            assertEquals(List.of("<carol@remote.test>"), routed.rcptTo());
            String log = mta.awaitLog(": to=<carol@remote\\.test>, relay=", Duration.ofSeconds(30));
            assertFalse(log.contains("orig_to=<@aaa"), log);
        }
    }

    @Test
    void badUsageExitsWithSysexitsCodesAndOneLine() throws Exception {
        writeConfigBeforeStart(dir);
        String c = dir.toString();
        assertFailure(64, "-bv (address verification) is not supported", "sendmail", "-C", c, "-bv", "a@b.test");
        assertFailure(64, "'postern start'", "sendmail", "-C", c, "-bd");
        assertFailure(64, "unknown option -Z", "sendmail", "-C", c, "-Z", "a@b.test");
        assertFailure(64, "-n option not supported", "sendmail", "-C", c, "-n", "a@b.test");
        assertFailure(64, "option -f requires an argument", "sendmail", "-C", c, "-f");
        assertFailure(64, "Recipient addresses must be specified on the command line or via the -t option", "sendmail", "-C", c);
        assertFailure(64, "No recipient addresses found in message header", "sendmail", "-C", c, "-t");
        assertFailure(64, "-t can be used only in delivery mode", "sendmail", "-C", c, "-t", "-bs");
        assertFailure(67, "<a@@b.test>: bad recipient address syntax", "sendmail", "-C", c, "a@@b.test");
        assertFailure(75, "does not exist", "sendmail", "-C", dir.resolve("nope").toString(), "a@b.test");
        assertEquals(List.of(), LocalCommand.maildrop(dir.resolve("queue")), "nothing queued by a refused call");

        LocalCommand.Result p = LocalCommand.run(LocalCommand.postern("sendmail", "-C", c, "--bogus"), "", Map.of());
        assertEquals(64, p.exit(), p.err());
        assertTrue(p.err().startsWith("sendmail: fatal: unknown option"), p.err());
        assertFalse(p.err().contains("\tat "), "no stack trace");
    }

    @Test
    void nullSenderClusteredFlagsSizeLimitAndMailq() throws Exception {
        writeConfigBeforeStart(dir);
        Files.writeString(dir.resolve("main.cf"), "message_size_limit = 4096\n", java.nio.file.StandardOpenOption.APPEND);
        Run r = sendmail("To: a@remote.test\n\n.\n", "sendmail", "-C", dir.toString(), "-ti", "-f", "<>");
        assertEquals(0, r.code(), r.err());
        List<Path> files = LocalCommand.maildrop(dir.resolve("queue"));
        assertEquals(1, files.size());
        String file = Files.readString(files.get(0));
        assertTrue(file.startsWith("postern-maildrop 1\nsender \n") && file.contains("\nrcpt a@remote.test\n")
                && file.endsWith("\n\nTo: a@remote.test\r\n\r\n.\r\n"), "null sender, -t and -i clustered: " + file);

        String big = "Subject: big\n\n" + "x".repeat(2100) + "\n";
        assertFailureWithInput(65, "message file too big (message_size_limit = 4096, less 2048 bytes", big,
                "sendmail", "-C", dir.toString(), "b@remote.test");
        assertEquals(0, sendmail("Subject: fits\n\n" + "x".repeat(1900) + "\n", "sendmail", "-C", dir.toString(),
                "b@remote.test").code(), "under message_size_limit less the header reserve");

        // -bp is mailq (Postfix runs postqueue -p), -q a flush (postqueue -f): Postern's queue verb.
        Run queue = sendmail("", "-c", dir.toString(), "queue");
        Run mailq = sendmail("", "-c", dir.toString(), "sendmail", "-bp");
        assertEquals(0, queue.code(), queue.err());
        assertEquals(queue.code(), mailq.code(), mailq.err());
        assertEquals(queue.out(), mailq.out());
        Run flush = sendmail("", "sendmail", "-C", dir.toString(), "-q");
        assertEquals(0, flush.code(), flush.err());
        assertTrue(flush.err().contains("postern: flushed 0 deferred messages"), flush.err());
        Run site = sendmail("", "sendmail", "-C", dir.toString(), "-qRremote.test");
        assertTrue(site.err().contains("postern: flushed 0 deferred messages for remote.test"), site.err());
        assertEquals(0, sendmail("", "sendmail", "-C", dir.toString(), "-q30m").code(), "-q with a time: nothing to do");
        assertFailure(64, "-qI is not implemented", "sendmail", "-C", dir.toString(), "-qIABC");
        assertFailureWithInput(64, "display queue mode requires no recipient", "", "sendmail", "-C", dir.toString(), "-bp", "x@y.test");
    }

    private void assertFailure(int code, String text, String... args) {
        assertFailureWithInput(code, text, "Subject: x\n\nbody\n", args);
    }

    private void assertFailureWithInput(int code, String text, String stdin, String... args) {
        Run r = sendmail(stdin, args);
        assertEquals(code, r.code(), String.join(" ", args) + ": " + r.err());
        assertTrue(r.err().contains("sendmail: fatal: ") && r.err().contains(text), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void queueDirectoryThatCannotExistIsCantCreate() throws Exception {
        Path file = dir.resolve("a-file");
        Files.writeString(file, "");
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nqueue_directory = " + file.resolve("queue") + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=reject\n");
        Run r = sendmail("Subject: x\n\nbody\n", "sendmail", "-C", dir.toString(), "bob@remote.test");
        assertEquals(73, r.code(), r.err());
        assertTrue(r.err().contains("Not a directory: check queue_directory in main.cf"), r.err());
    }

    @Test
    void unwritableMaildropIsCantCreateAndNothingIsClaimed() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(LocalCommand.uid() == 0, "root writes anywhere");
        writeConfigBeforeStart(dir);
        Path maildrop = dir.resolve("queue").resolve("maildrop");
        Files.createDirectories(maildrop);
        Files.setPosixFilePermissions(maildrop, java.nio.file.attribute.PosixFilePermissions.fromString("r-x------"));
        try {
            Run r = sendmail("Subject: x\n\nbody\n", "sendmail", "-C", dir.toString(), "bob@remote.test");
            assertEquals(73, r.code(), r.err());
            assertTrue(r.err().contains("cannot create a file in " + maildrop + ": Permission denied"), r.err());
        } finally {
            Files.setPosixFilePermissions(maildrop, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }
}

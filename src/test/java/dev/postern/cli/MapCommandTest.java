package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern map}: postmap's -q, -s, -w; -f and -r refused with the reason. */
class MapCommandTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    private String table() throws Exception {
        Path p = dir.resolve("sender_dependent_relayhost");
        Files.writeString(p, "# comment\n@Domain-A.example\t[a]:587\n.domain-a.example [a]:587\n"
                + "@domain-a.example [second]:25\n");
        return "hash:" + p;
    }

    @Test
    void dumpListsEntriesAsTheServerSeesThem() throws Exception {
        Run r = run("map", "-s", table());
        assertEquals(0, r.status(), r.err());
        assertEquals("@domain-a.example [a]:587\n.domain-a.example [a]:587\n", r.out(),
                "keys folded, the first duplicate wins, file order");
        assertEquals(2, run("map", "-s", "regexp:" + dir.resolve("x")).status());
    }

    @Test
    void checkWarnsAboutDuplicatesUnlessW() throws Exception {
        String t = table();
        Run warn = run("map", t);
        assertEquals(0, warn.status());
        assertTrue(warn.err().contains(":4: duplicate entry: \"@domain-a.example\" (the first one is used)"), warn.err());
        assertTrue(warn.out().contains(": 2 entries, OK"), warn.out());
        Run quiet = run("map", "-w", t);
        assertEquals("", quiet.err());
        assertEquals("[a]:587\n", run("map", "-q", "@DOMAIN-A.example", t).out());
    }

    @Test
    void foldAndReplaceAreRefusedWithTheReason() throws Exception {
        Run f = run("map", "-f", table());
        assertEquals(2, f.status());
        assertTrue(f.err().startsWith("postern map: fatal: -f is not supported: Postern reads the table's source file"),
                f.err());
        Run r = run("map", "-r", table());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("remove the duplicates"), r.err());
    }

    private Run runWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new java.io.ByteArrayInputStream(stdin.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                new java.io.ByteArrayOutputStream(), new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    /**
     * header_checks(5)'s way to test a table: postmap -hmq - and -bmq - with a message on stdin;
     * each logical header or body line a table knows is printed with the table's value.
     */
    @Test
    void headerAndBodyQueriesReadAMessageAsTheChecksDo() throws Exception {
        Path checks = dir.resolve("header_checks");
        Files.writeString(checks, "/^Subject:.*spam/ REJECT no spam\n/^Content-Disposition:.*\\.exe/ REJECT exe\n"
                + "/^X-Body-Word/ WARN body\n");
        String message = "Subject: spam\r\n and more\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\nContent-Disposition: attachment; filename=a.exe\r\n\r\nX-Body-Word here\r\n--b--\r\n";
        String table = "regexp:" + checks;
        Run h = runWithInput(message, "map", "-h", "-q", "-", table);
        assertEquals(0, h.status(), h.err());
        assertEquals("Subject: spam\n and more\tREJECT no spam\n", h.out(), "primary headers only without -m");
        Run hm = runWithInput(message, "map", "-h", "-m", "-q", "-", table);
        assertEquals("Subject: spam\n and more\tREJECT no spam\n"
                + "Content-Disposition: attachment; filename=a.exe\tREJECT exe\n", hm.out());
        Run bm = runWithInput(message, "map", "-b", "-m", "-q", "-", table);
        assertEquals("X-Body-Word here\tWARN body\n", bm.out());
        Run none = runWithInput("Subject: fine\r\n\r\nbody\r\n", "map", "-h", "-b", "-q", "-", table);
        assertEquals(1, none.status());
        assertEquals("", none.out());

        Run keys = runWithInput("Subject: spam\nSubject: ham\n", "map", "-q", "-", table);
        assertEquals("Subject: spam\tREJECT no spam\n", keys.out(), "one key per line without -h or -b");
        Run failing = runWithInput("Subject: x\r\n\r\n", "map", "-h", "-q", "-", "hash:" + dir.resolve("missing"));
        assertEquals(2, failing.status(), "a table that cannot answer ends the command, as postmap's query error");
        assertTrue(failing.err().startsWith("postern map: fatal: "), failing.err());
        Run cr = runWithInput("a\rb\n", "map", "-q", "-", "inline:{{a\rb=found}}");
        assertEquals("a\rb\tfound\n", cr.out(), "keys end at LF only, as postmap reads them");
        Run wrong = run("map", "-h", "-q", "Subject: x", table);
        assertEquals(2, wrong.status());
        assertTrue(wrong.err().contains("specify -b -h or -m only with \"-q -\""), wrong.err());
    }

    @Test
    void benchRefusesACountBelowOneAndCountsOnlyTheMeasuredLookups() throws Exception {
        for (String n : new String[] {"0", "-3"}) {
            Run r = run("map", "--bench", n, table());
            assertEquals(2, r.status(), r.out());
            assertTrue(r.err().startsWith("--bench " + n + ": the number of lookups to time must be 1 or more\n"), r.err());
            assertEquals("", r.out(), "nothing timed");
        }
        Run ten = run("map", "--bench", "10", table());
        assertEquals(0, ten.status(), ten.err());
        assertTrue(ten.out().startsWith("RESULT entries=2 ") && ten.out().endsWith(" found=10\n"),
                "the warm-up's lookups are not counted: " + ten.out());
        Path empty = Files.writeString(dir.resolve("empty"), "");
        Run none = run("map", "--bench", "10", "hash:" + empty);
        assertEquals(2, none.status());
        assertEquals("postern map: fatal: hash:" + empty + ": no entries to look up\n", none.err());
    }

    @Test
    void queryErrorsSayPosternMapOnce() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad"), "/(/ x\n");
        Run r = runWithInput("foo\n", "map", "-q", "-", "-b", "-m", "regexp:" + bad);
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("postern map: fatal: " + bad + ":1: bad regular expression"), r.err());
        assertEquals(r.err().indexOf("postern map"), r.err().lastIndexOf("postern map"), r.err());
        Run missing = runWithInput("a\n", "map", "-q", "-", "hash:" + dir.resolve("missing"));
        assertEquals(2, missing.status());
        assertTrue(missing.err().startsWith("postern map: fatal: table lookup failure: hash:" + dir.resolve("missing")),
                missing.err());
        assertEquals(missing.err().indexOf("postern map"), missing.err().lastIndexOf("postern map"), missing.err());
    }
}

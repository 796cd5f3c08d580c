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
}

package dev.postern.maps;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Postern's regexp: and pcre: lookups against Postfix's own ({@code postmap -q}) for the same
 * tables and many keys: if/endif nesting and negation, unbalanced if/endif (and the lines Postfix
 * warns about), flag x (POSIX basic syntax) and GNU libc's extended syntax, the pcre flags.
 */
class RegexpPostmapInteropTest {
    private static final String POSTMAP = "/usr/sbin/postmap";

    @TempDir
    Path dir;
    private Path conf;

    @BeforeEach
    void conf() throws Exception {
        Peers.require(POSTMAP, "postfix");
        conf = Files.createDirectories(dir.resolve("postmap-conf"));
        Files.writeString(conf.resolve("main.cf"), "compatibility_level = 3.6\n");
    }

    /** Every string of a, b, c, x and '.' up to 4 characters, and the keys given. */
    private static List<String> keys(String... more) {
        List<String> keys = new ArrayList<>(List.of("", "\n", "a\n", "a\nb", "x\na", "A", "AB", "Ab", "aB", "ABC"));
        List<String> level = List.of("");
        for (int len = 1; len <= 4; len++) {
            List<String> next = new ArrayList<>();
            for (String s : level) {
                for (char c : "abcx.".toCharArray()) {
                    next.add(s + c);
                }
            }
            keys.addAll(next);
            level = next;
        }
        keys.addAll(List.of(more));
        return keys;
    }

    private record Postfix(Map<String, String> answers, TreeSet<Integer> warnedLines) {
    }

    /** postmap -q - for keys without a newline (one run), postmap -q key for the others. */
    private Postfix postmap(String spec, List<String> keys) throws Exception {
        Map<String, String> answers = new LinkedHashMap<>();
        TreeSet<Integer> warned = new TreeSet<>();
        StringBuilder batch = new StringBuilder();
        for (String k : keys) {
            if (k.indexOf('\n') < 0 && !k.isEmpty()) {
                batch.append(k).append('\n');
            }
        }
        Peers.Result r = Peers.run(Duration.ofSeconds(60), batch.toString(), List.of(POSTMAP, "-c", conf.toString(), "-q", "-", spec));
        for (String line : r.out().split("\n")) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                answers.put(line.substring(0, tab), line.substring(tab + 1));
            }
        }
        Matcher w = Pattern.compile("warning: \\S+ map \\S+, line (\\d+):").matcher(r.err());
        while (w.find()) {
            warned.add(Integer.parseInt(w.group(1)));
        }
        Assertions.assertFalse(r.err().contains("fatal"), r.err());
        for (String k : keys) {
            if (k.indexOf('\n') >= 0 || k.isEmpty()) {
                Peers.Result one = Peers.run(Duration.ofSeconds(30), null, List.of(POSTMAP, "-c", conf.toString(), "-q", k, spec));
                if (one.exit() == 0) {
                    answers.put(k, one.out().endsWith("\n") ? one.out().substring(0, one.out().length() - 1) : one.out());
                }
            }
        }
        return new Postfix(answers, warned);
    }

    /** Postern's answers equal Postfix's for every key; returns the lines Postfix warned about. */
    private TreeSet<Integer> compare(String type, String name, String table, List<String> keys) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, table, StandardCharsets.UTF_8);
        Postfix postfix = postmap(type + ":" + p, keys);
        LookupTable t = Maps.open(type + ":" + p);
        List<String> differ = new ArrayList<>();
        int found = 0;
        for (String k : keys) {
            String want = postfix.answers().get(k);
            String got = t.lookup(k).orElse(null);
            found += want == null ? 0 : 1;
            if (!java.util.Objects.equals(want, got)) {
                differ.add("[" + k.replace("\n", "\\n") + "]: postfix " + want + ", postern " + got);
            }
        }
        assertEquals(List.of(), differ, type + ":" + name);
        Assertions.assertTrue(found > 5 && found < keys.size(), name + ": the keys should exercise the table (" + found + " found)");
        TreeSet<Integer> posternWarned = new TreeSet<>();
        for (String w : ((RegexpTable) t).warnings()) {
            Matcher m = Pattern.compile(":(\\d+): ").matcher(w);
            Assertions.assertTrue(m.find(), w);
            posternWarned.add(Integer.parseInt(m.group(1)));
        }
        assertEquals(postfix.warnedLines(), posternWarned, type + ":" + name + ": the lines warned about");
        return posternWarned;
    }

    private static final String IF_ENDIF = """
            # stray endif: ignored with a warning
            endif
            /^c$/ C
            if /^a/
            /^ab$/ AB
            if !/b/
            /c/ A-no-b-with-c
            IF /x$/i
            /./ A-no-b-x
            ENDIF
            /^a...$/ A-no-b-four
            endif
            /^a.c/!/x/ A-second-pattern
            endif
            if /b/
            /^(b)(.)/ B:$2$1
            if /^bb/
            /c/ BB-c
            endif
            endif
            /^Ab$/i case-sensitive
            /^a$/m multi-line
            !/^[abc]/ not-abc:$$
            if /^x/
            /a/ X-a
            if /c$/
            /./ X-c
            """;

    @Test
    void ifEndifAsPostfix() throws Exception {
        assertEquals(List.of(2, 24, 26), List.copyOf(compare("regexp", "ifendif.regexp", IF_ENDIF, keys())),
                "stray endif, the ifs without endif");
    }

    @Test
    void basicSyntaxAsPostfix() throws Exception {
        compare("regexp", "bre.regexp", """
                /^a+b?$/x literal-plus-q
                /^\\(ab\\)*c$/x group-star $1
                /^a\\{2,3\\}x$/x interval
                /^\\(.\\)\\1\\.$/x backref $1
                /*c/x star-first
                /^*x/x star-after-caret
                /^\\(*a\\)$/x star-in-group
                /a^b/x caret-literal
                /a$b/x dollar-literal
                /^\\(^x\\)b$/x caret-in-group
                /^b\\+x$/x gnu-plus
                /^c\\?x$/x gnu-q
                /^ab\\|^ba$/x gnu-bar
                /^[\\.]x$/x bracket-backslash
                /^[^[:alpha:]]*$/x no-letters
                /^\\<c/x word-start
                /^x$/xm multi-line
                /^a\\{2\\}$/xi case-sensitive
                /{x}|(a)/x braces-literal
                """, keys("a+b?", "a+", "cababc", "aax", "aaax", "xx.", "*c", "x*c", "*x", "*a", "a^b", "a$b", "xb", "bbx",
                "x", "cx", "\\x", "AA", "{x}|(a)", "{x}", "a c", "ab", "ba"));
    }

    @Test
    void extendedSyntaxAsPostfix() throws Exception {
        compare("regexp", "ere.regexp", """
                /^a*+b$/ stacked
                /^[\\.]$/ bracket-backslash
                /^[]a]x$/ bracket-close
                /^x)$/ unmatched-paren
                /^(a|b)(c|x)?$/ alt:$1:$2
                /^c{2,}/ interval
                /\\<x/ word-start
                /^a$/ end
                /^[[:digit:][:space:]]+$/ digits-spaces
                /^.\\.$/ dot-dot
                """, keys("a)", "x)", "]x", "\\", "12 3", "cc", "a x", "1"));
    }

    @Test
    void pcreAsPostfix() throws Exception {
        Path pcre = Path.of("/usr/lib/postfix/postfix-pcre.so");
        if (!Files.exists(pcre)) {
            String why = "peer " + pcre + " is missing: install the Debian package postfix-pcre";
            if ("true".equals(System.getenv("CI")) || Boolean.getBoolean("postern.requirePeers")) {
                Assertions.fail(why + " (CI requires every interop peer)");
            }
            Assumptions.abort(why);
        }
        compare("pcre", "ifendif.pcre", IF_ENDIF.replace("/^a.c/!/x/", "/^a.c/"), keys()); // pcre has no second pattern
        compare("pcre", "flags.pcre", """
                /b/A anchored
                /c$/E end-only
                /^a b [ ]x # comment/x extended
                /^a.b$/ dotall-default
                /^x.c$/s no-dotall
                /^x$/m multi-line
                /^(a)(?:b)(c)/ $2$1
                /^[[:word:]]x$/ word
                /^a\\Q.$\\E/ quoted
                if !/a/
                /^(c+)x/ c:${1}
                endif
                """, keys("a b  x", "a b x", "a\nb", "x\nc", "c\n", "a.$", "ccx", "_x", "y\nx"));
    }
}

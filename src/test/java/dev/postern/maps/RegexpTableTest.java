package dev.postern.maps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** regexp_table(5)/pcre_table(5) if/endif, flag x (POSIX basic syntax) and the pcre flags, as dict_regexp.c/dict_pcre.c. */
class RegexpTableTest {
    @TempDir
    Path dir;

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static String get(LookupTable t, String key) throws LookupException {
        return t.lookup(key).orElse(null);
    }

    private static String error(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> Maps.open(spec)).getMessage();
    }

    /** One rule per line: the value of the first rule whose pattern (a POSIX basic one) matches. */
    private String bre(String pattern, String key) throws Exception {
        Path p = file("bre.regexp", "/" + pattern + "/x MATCH\n");
        return get(Maps.open("regexp:" + p), key);
    }

    // ---- if / endif --------------------------------------------------------------------------

    @Test
    void nestedIfBlocksAndRulesInsideAndOutside() throws Exception {
        for (String type : List.of("regexp", "pcre")) {
            Path p = file("nested." + type, """
                    /^first@/            BEFORE
                    if /@example\\.com$/
                    /^a@/                A in example.com
                    IF !/^b/
                    /^c@/                C not b
                    if /^cc/
                    /^ccx/               CC with x
                    endif
                    /^cc/                CC without x
                    ENDIF
                    /^b/                 B
                    endif
                    /^c/                 C elsewhere
                    /@example\\.com$/    FALLTHROUGH
                    """);
            LookupTable t = Maps.open(type + ":" + p);
            assertEquals("BEFORE", get(t, "first@example.com"), type);
            assertEquals("A in example.com", get(t, "a@example.com"), type);
            assertEquals("C not b", get(t, "c@example.com"), type);
            assertEquals("CC with x", get(t, "ccx@example.com"), type);
            assertEquals("CC without x", get(t, "cc@example.com"), "a failed inner if skips to its endif: " + type);
            assertEquals("B", get(t, "b@example.com"), "if !/^b/ skips to its endif, then /^b/: " + type);
            assertEquals("FALLTHROUGH", get(t, "z@example.com"), type);
            assertEquals("C elsewhere", get(t, "c@other.example"), "a failed if skips its whole block: " + type);
            assertEquals(null, get(t, "a@other.example"), type);
            assertEquals(List.of(), ((RegexpTable) t).warnings(), type);
        }
    }

    @Test
    void ifTakesFlagsNegationAndAnyDelimiter() throws Exception {
        Path p = file("flags.regexp", """
                if /^Subject:/
                if !!/SPAM/i
                /./ case-sensitive SPAM
                endif
                /./ subject
                endif
                if ! #^From:#
                /^To:/ to
                endif
                if|^From:|
                /x/ from x
                endif
                """);
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals("case-sensitive SPAM", get(t, "Subject: SPAM"));
        assertEquals("subject", get(t, "Subject: spam"), "flag i on if: case-sensitive; '!!' is no negation");
        assertEquals("to", get(t, "To: x"));
        assertEquals("from x", get(t, "From: x"), "any non-alphanumeric delimiter, as Postfix");
        assertEquals(null, get(t, "From: y"));
    }

    @Test
    void ifWithoutEndifCoversTheRestAndIsWarnedAbout() throws Exception {
        Path p = file("open.regexp", """
                /^a/ A
                if /^b/
                /c/ BC
                if /^bd/
                /./ BD
                """);
        RegexpTable t = (RegexpTable) Maps.open("regexp:" + p);
        assertEquals("A", get(t, "a"));
        assertEquals("BC", get(t, "bc"));
        assertEquals("BD", get(t, "bdx"));
        assertEquals(null, get(t, "x"), "a failed if without endif ends the lookup (dict_regexp_lookup)");
        assertEquals(List.of(
                p + ":4: if has no matching endif: the rules after it, to the end of the file, are used only when it"
                        + " matches (as Postfix); add endif",
                p + ":2: if has no matching endif: the rules after it, to the end of the file, are used only when it"
                        + " matches (as Postfix); add endif"), t.warnings(), "innermost first, as Postfix");
        assertEquals(t.warnings(), TableCheck.check("regexp:" + p).warnings(), "postern map shows them");
    }

    @Test
    void strayEndifIsIgnoredWithAWarning() throws Exception {
        Path p = file("stray.pcre", """
                # comment
                endif
                /^a/ A
                if /^b/
                /./ B
                endif
                endif extra text is not read: no if is open
                /./ ANY
                """);
        RegexpTable t = (RegexpTable) Maps.open("pcre:" + p);
        assertEquals("A", get(t, "a"));
        assertEquals("B", get(t, "b"));
        assertEquals("ANY", get(t, "c"));
        assertEquals(List.of(p + ":2: endif without a matching if is ignored (as Postfix); remove it",
                p + ":7: endif without a matching if is ignored (as Postfix); remove it"), t.warnings());
    }

    @Test
    void textAfterIfOrEndifIsRefused() throws Exception {
        // an indented rule continues the if line: Postfix ignores it with a warning; Postern refuses the table
        Path a = file("indent.regexp", "if /^a/\n  /b/ B\nendif\n");
        assertTrue(error("regexp:" + a).startsWith(a + ":1: text after \"if /pattern/flags\" (Postfix ignores it)"),
                error("regexp:" + a));
        Path b = file("endif.regexp", "if /^a/\n/b/ B\nendif # done\n");
        assertTrue(error("regexp:" + b).startsWith(b + ":3: text after \"endif\""), error("regexp:" + b));
        Path c = file("noexpr.regexp", "/a/ A\nif\nendif\n");
        assertEquals(c + ":2: no pattern in if; write /pattern/", error("regexp:" + c));
        Path d = file("bad.pcre", "if /(/\nendif\n");
        assertTrue(error("pcre:" + d).startsWith(d + ":1: bad regular expression"), error("pcre:" + d));
        Path e = file("word.regexp", "iffy /a/ A\n");
        assertTrue(error("regexp:" + e).startsWith(e + ":1: a rule starts with /pattern/"), error("regexp:" + e));
    }

    @Test
    void secondPatternAndNegatedRules() throws Exception {
        Path p = file("two.regexp", """
                /^a/!/b/ A without b
                /^a/!!/c/ A with c
                /^a/!/x/ $$ costs
                """);
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals("A without b", get(t, "axx"));
        assertEquals("A with c", get(t, "abc"));
        assertEquals("$ costs", get(t, "ab"), "$$ is $");
        assertTrue(Maps.open("regexp:" + file("neg.regexp", "!/^a/ $$5\n")).lookup("b").orElse("").equals("$5"));
        Path n = file("negsub.regexp", "!/^(a)/ REJECT $1\n");
        assertTrue(error("regexp:" + n).startsWith(n + ":1: $1 in the value of a negated pattern"), error("regexp:" + n));
        Path g = file("groups.regexp", "/^(a)/ REJECT $2\n");
        assertEquals(g + ":1: $2 but the pattern has 1 group (Postfix skips this rule); use $1 to $1 only",
                error("regexp:" + g));
    }

    // ---- flag x: POSIX basic syntax -------------------------------------------------------------

    @Test
    void basicSyntaxLiteralsAndGroups() throws Exception {
        assertEquals("MATCH", bre("^a+b?$", "a+b?"), "+ and ? are literals");
        assertEquals(null, bre("^a+b?$", "aab"));
        assertEquals("MATCH", bre("^(x|y){2}$", "(x|y){2}"), "( | ) { } are literals");
        assertEquals(null, bre("^(x|y){2}$", "xy"));
        assertEquals("MATCH", bre("^\\(ab\\)*c$", "ababc"), "\\( \\) group");
        assertEquals("MATCH", bre("^a\\{2,3\\}$", "aaa"), "\\{m,n\\} interval");
        assertEquals(null, bre("^a\\{2,3\\}$", "aaaa"));
        assertEquals("MATCH", bre("^a\\{2\\}$", "aa"));
        assertEquals("MATCH", bre("^a\\{2,\\}$", "aaaaa"));
        assertEquals("MATCH", bre("^\\(.\\)\\1$", "zz"), "backreference");
        assertEquals(null, bre("^\\(.\\)\\1$", "zy"));
    }

    @Test
    void basicSyntaxContextDependentCharacters() throws Exception {
        assertEquals("MATCH", bre("*a", "x*a"), "* first is a literal");
        assertEquals(null, bre("*a", "a"));
        assertEquals("MATCH", bre("^*a", "*a"), "* after a leading ^ is a literal");
        assertEquals("MATCH", bre("^\\(*a\\)$", "*a"), "* first in a group is a literal");
        assertEquals("MATCH", bre("a^b", "a^b"), "^ not first is a literal");
        assertEquals("MATCH", bre("a$b", "a$b"), "$ not last is a literal");
        assertEquals("MATCH", bre("^\\(^a\\)$", "a"), "^ first in a group is an anchor");
        assertEquals("MATCH", bre("^\\(a$\\)", "a"), "$ last in a group is an anchor");
        assertEquals(null, bre("^a$", "a\n"), "$ does not match before a final newline (POSIX)");
    }

    @Test
    void basicSyntaxGnuExtensionsAndBrackets() throws Exception {
        assertEquals("MATCH", bre("^a\\+c$", "aac"), "GNU \\+");
        assertEquals("MATCH", bre("^a\\?e$", "e"), "GNU \\?");
        assertEquals("MATCH", bre("^l\\|m$", "m"), "GNU \\|");
        assertEquals("MATCH", bre("\\<word\\>", "a word."));
        assertEquals(null, bre("\\<word\\>", "swords"));
        assertEquals("MATCH", bre("^[\\.]$", "\\"), "a backslash in a bracket expression is a literal");
        assertEquals("MATCH", bre("^[]a]$", "]"));
        assertEquals("MATCH", bre("^[^[:space:]]*$", "abc"));
        assertEquals(null, bre("^[^[:space:]]*$", "a c"));
        assertEquals("MATCH", bre("^[a&&b]$", "&"), "&& is no intersection");
        Path p = file("case.regexp", "/^ABC$/xi case-sensitive\n/^A\\(B\\)C$/x $1 insensitive\n");
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals("case-sensitive", get(t, "ABC"));
        assertEquals("b insensitive", get(t, "abc"), "x combines with i; \\( \\) groups feed $n");
    }

    @Test
    void basicSyntaxWithoutFaithfulTranslationIsRefused() throws Exception {
        for (String re : List.of("a**", "\\{2\\}", "a\\d", "a\\n", "a\\{2", "\\(a", "a\\)", "a\\{3,2\\}", "[[.ch.]]", "\\(a\\)\\2")) {
            Path p = file("refused.regexp", "/ok/ OK\n/" + re + "/x X\n");
            String e = error("regexp:" + p);
            assertTrue(e.startsWith(p + ":2: bad regular expression: "), re + " -> " + e);
        }
        Path d = file("d.regexp", "/\\d/ X\n");
        assertTrue(error("regexp:" + d).contains("\\d is not a digit in a POSIX regular expression"), error("regexp:" + d));
        Path u = file("u.regexp", "/a/s X\n");
        assertEquals(u + ":1: unknown regexp flag \"s\" after the pattern (Postern supports i, m, x)", error("regexp:" + u));
    }

    @Test
    void extendedSyntaxAsGnuLibc() throws Exception {
        Path p = file("ere.regexp", """
                /^a*+b$/ stacked
                /^[\\.]$/ backslash or dot
                /^x)$/ unmatched paren literal
                /^a$/ anchored
                """);
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals("stacked", get(t, "aab"), "a*+ is (a*)+, not Java's possessive");
        assertEquals("backslash or dot", get(t, "\\"));
        assertEquals("unmatched paren literal", get(t, "x)"));
        assertEquals(null, get(t, "a\n"));
        assertEquals("anchored", get(Maps.open("regexp:" + file("m.regexp", "/^a$/m anchored\n")), "a\n"));
    }

    // ---- pcre flags -----------------------------------------------------------------------------

    @Test
    void pcreFlags() throws Exception {
        Path p = file("flags.pcre", """
                /b/A anchored
                /c$/E end only
                /^d [ ]e # comment/x extended
                /^f.g$/ dotall by default
                /^h.i$/s dot stops at newline
                /^j$/m multi-line
                /[[:word:]]k\\Q[$\\E/X quoted
                """);
        LookupTable t = Maps.open("pcre:" + p);
        assertEquals(null, get(t, "ab"), "A: anchored at the start");
        assertEquals("anchored", get(t, "ba"));
        assertEquals(null, get(t, "c\n"), "E: $ not before a final newline");
        assertEquals("end only", get(t, "c"));
        assertEquals("extended", get(t, "d e"), "x: blanks ignored, but not in a class; # starts a comment");
        assertEquals("dotall by default", get(t, "f\ng"));
        assertEquals(null, get(t, "h\ni"));
        assertEquals("multi-line", get(t, "x\nj\ny"));
        assertEquals("quoted", get(t, "_k[$"));
        Path u = file("u.pcre", "/a/U X\n");
        assertTrue(error("pcre:" + u).startsWith(u + ":1: pcre flag \"U\" (ungreedy) is not supported"), error("pcre:" + u));
    }
}

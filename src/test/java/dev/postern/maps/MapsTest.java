package dev.postern.maps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lookup tables opened by Postfix spec: inline, static, cidr, texthash, hash (source file), regexp. */
class MapsTest {
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

    // ---- inline / static ------------------------------------------------------------------

    @Test
    void inlineTable() throws Exception {
        LookupTable t = Maps.open("inline:{ a@x.example=OK, B.example = REJECT, { c@x.example = 550 5.7.1 no thanks } }");
        assertEquals("OK", get(t, "a@x.example"));
        assertEquals("REJECT", get(t, "b.example"), "keys are case-folded");
        assertEquals("REJECT", get(t, "B.EXAMPLE"));
        assertEquals("550 5.7.1 no thanks", get(t, "c@x.example"), "braces keep whitespace in the value");
        assertEquals(null, get(t, "d@x.example"));
        assertTrue(t.fixed());
        assertEquals("inline:{ a@x.example=OK, B.example = REJECT, { c@x.example = 550 5.7.1 no thanks } }", t.spec());
        assertTrue(error("inline:a=b").contains("inline:a=b"));
        assertTrue(error("inline:{ novalue }").contains("\"novalue\" is not key=value"));
    }

    @Test
    void staticTable() throws Exception {
        LookupTable t = Maps.open("static:OK");
        assertEquals("OK", get(t, "anything"));
        assertEquals("OK", get(t, ""));
        assertEquals("REJECT go away", get(Maps.open("static:{ REJECT go away }"), "x"));
    }

    // ---- cidr ------------------------------------------------------------------------------

    @Test
    void cidrTableIpv4AndIpv6FirstMatchWins() throws Exception {
        Path p = file("clients.cidr", """
                # comment
                192.168.1.128/25   REJECT upper half

                192.168.1.0/24     OK
                192.168.0.0/16     REJECT 5.7.1
                  continued text
                10.1.2.3           exact
                [2001:db8::]/32    IPV6 net
                2001:db8:1::1      not reached
                ::1                loopback6
                0.0.0.0/0          everything else v4
                """);
        LookupTable t = Maps.open("cidr:" + p);
        assertEquals("REJECT upper half", get(t, "192.168.1.200"));
        assertEquals("OK", get(t, "192.168.1.5"), "first match wins");
        assertEquals("REJECT 5.7.1 continued text", get(t, "192.168.7.7"), "a line starting with whitespace continues");
        assertEquals("exact", get(t, "10.1.2.3"));
        assertEquals("everything else v4", get(t, "10.1.2.4"));
        assertEquals("IPV6 net", get(t, "2001:db8:1::1"), "the earlier /32 wins over the later exact address");
        assertEquals("IPV6 net", get(t, "2001:DB8::abcd"));
        assertEquals("loopback6", get(t, "::1"));
        assertEquals(null, get(t, "2001:db9::1"), "IPv4 rules never match IPv6 addresses");
        assertEquals(null, get(t, "mail.example.com"), "non-address keys are not found");
        assertFalse(t.fixed());
    }

    @Test
    void cidrErrorsNameFileAndLine() throws Exception {
        Path bad = file("bad.cidr", "# c\n10.0.0.0/8 OK\n\n10.0.0.x/8 REJECT\n");
        assertTrue(error("cidr:" + bad).startsWith(bad + ":4: bad network address"), error("cidr:" + bad));
        Path host = file("host.cidr", "192.168.1.5/24 OK\n");
        assertTrue(error("cidr:" + host).startsWith(host + ":1: non-null host address bits"), error("cidr:" + host));
        Path len = file("len.cidr", "10.0.0.0/33 OK\n");
        assertTrue(error("cidr:" + len).startsWith(len + ":1: bad network prefix length"), error("cidr:" + len));
        Path novalue = file("novalue.cidr", "10.0.0.0/8\n");
        assertTrue(error("cidr:" + novalue).startsWith(novalue + ":1: expected"));
        String missing = error("cidr:" + dir.resolve("absent.cidr"));
        assertTrue(missing.startsWith("cidr:" + dir.resolve("absent.cidr") + ": cannot read"), missing);
    }

    // ---- texthash / hash -------------------------------------------------------------------

    @Test
    void texthashSyntax() throws Exception {
        Path p = file("access", """
                # access table
                User@Example.COM    REJECT
                example.net         550 5.7.1
                    no thanks
                "with space@x"      OK
                dup@x               first
                dup@x               second
                """);
        LookupTable t = Maps.open("texthash:" + p);
        assertEquals("REJECT", get(t, "user@example.com"), "postmap lower-cases keys");
        assertEquals("REJECT", get(t, "USER@example.com"), "and lookups are case-folded");
        assertEquals("550 5.7.1 no thanks", get(t, "example.net"), "continuation joined with a space");
        assertEquals("OK", get(t, "with space@x"), "quoted key");
        assertEquals("first", get(t, "dup@x"), "duplicates: the first wins");
        assertEquals(null, get(t, "# access table"));
        assertEquals(null, get(t, "no"));
        assertTrue(t.fixed());
        TableCheck.Result r = TableCheck.check("texthash:" + p);
        assertEquals(4, r.entries());
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().get(0).startsWith(p + ":7: duplicate entry: \"dup@x\""), r.warnings().get(0));
    }

    @Test
    void syntaxErrorsNameFileAndLine() throws Exception {
        Path p = file("broken", "# header\nok@x OK\nlonely\n");
        assertEquals(p + ":3: expected \"key whitespace value\" but found no value", error("hash:" + p));
        assertEquals(p + ":3: expected \"key whitespace value\" but found no value", error("texthash:" + p));
        Path q = file("quote", "\"unclosed@x OK\n");
        assertTrue(error("hash:" + q).startsWith(q + ":1: unbalanced quote"), error("hash:" + q));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TableCheck.check("hash:" + p)).getMessage()
                .startsWith(p + ":3:"));
        assertTrue(error("/etc/postfix/access").contains("needs a type"));
        assertTrue(error("ldap:/etc/postfix/ldap.cf").contains("unsupported table type \"ldap\""));
    }

    @Test
    void missingHashFileIsATemporaryFailureUntilItAppears() throws Exception {
        Path p = dir.resolve("later");
        LookupTable t = Maps.open("hash:" + p); // Postfix: "hash:... is unavailable", lookups defer
        LookupException e = assertThrows(LookupException.class, () -> t.lookup("x"));
        assertTrue(e.getMessage().contains("hash:" + p) && e.getMessage().contains("No such file or directory"),
                e.getMessage());
        Files.writeString(p, "x OK\n");
        TableReloadTest.awaitValue(t, "x", "OK");
    }

    // ---- regexp ----------------------------------------------------------------------------

    /** dict_regexp_expand(): $n, ${n}, $(n), $$, several digits, one pass (no re-expansion of what a group matched). */
    @Test
    void regexpSubstitutionForms() throws Exception {
        Path p = file("canonical.regexp", """
                /^(.*)@old\\.example$/      ${1}@new.example
                /^x-(.*)-(.*)@one$/          $(2).$1 costs $$5
                /^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)@many$/  $10-${10}-$1
                /^(.*)@raw$/                 $1 $x ${y} $
                """);
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals(Optional.of("joe@new.example"), t.lookup("joe@old.example"));
        assertEquals(Optional.of("$1b.a$1 costs $5"), t.lookup("x-a$1-$1b@one"), "what $2 matched is not read again");
        assertEquals(Optional.of("j-j-a"), t.lookup("abcdefghij@many"));
        assertEquals(Optional.of("me $x ${y} $"), t.lookup("me@raw"), "what is no group number is kept as written");
    }

    @Test
    void regexpTable() throws Exception {
        Path p = file("checks.regexp", """
                # comment
                /^(.+)@spam\\.example$/   REJECT spam from $1
                /^CaseSensitive@/i       OK exact case
                !/@good\\.example$/      550 5.7.1
                   not from good
                /^x@good\\.example$/     never reached for others
                """);
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals("REJECT spam from joe", get(t, "joe@SPAM.example"), "case-insensitive by default, $1 substituted");
        assertEquals("OK exact case", get(t, "CaseSensitive@x"));
        assertEquals("550 5.7.1 not from good", get(t, "casesensitive@x"), "flag i turns case sensitivity on; then negation");
        assertEquals(null, get(t, "y@good.example"), "negated rule does not match; no rule matches");
        assertEquals("never reached for others", get(t, "x@good.example"));
        assertFalse(t.fixed(), "regexp tables are only asked about entire strings");
        assertEquals(get(t, "joe@spam.example"), get(Maps.open("pcre:" + p), "joe@spam.example"));
    }

    @Test
    void regexpFlagsAndPosixClassesAsPostfixReadsThem() throws Exception {
        Path p = file("flags.regexp", """
                /^Subject:[[:space:]]*[[:digit:]]+[[:alpha:]]$/ digits then a letter
                /^X-Neg: a[^!]*b/m negated list in m mode
                /^X-Dot: a.b/ dot crosses the fold
                /^X-Case: lower/i case sensitive
                """);
        LookupTable t = Maps.open("regexp:" + p);
        assertEquals("digits then a letter", t.lookup("Subject: \t42x").orElse(null));
        assertTrue(t.lookup("Subject: 42!").isEmpty());
        assertTrue(t.lookup("X-Neg: a\n b").isEmpty(), "REG_NEWLINE: [^!] does not match a newline");
        assertEquals("negated list in m mode", t.lookup("X-Neg: a b").orElse(null));
        assertEquals("dot crosses the fold", t.lookup("X-Dot: a\nb").orElse(null), "without m, . matches a newline (POSIX)");
        assertTrue(t.lookup("X-Case: LOWER").isEmpty(), "i toggles case-insensitivity off");
        assertEquals("case sensitive", t.lookup("X-Case: lower").orElse(null));
        Path bad = file("bad.regexp", "/[[:letters:]]/ X\n");
        assertTrue(error("regexp:" + bad).contains("unknown POSIX character class"), error("regexp:" + bad));
        LookupTable classes = Maps.open("pcre:" + file("c.pcre", "/^[[:word:]]+[[:^digit:]][[:ascii:]]$/ pcre classes\n"));
        assertEquals("pcre classes", classes.lookup("ab_x!").orElse(null));
        assertTrue(classes.lookup("ab_1!").isEmpty(), "[:^digit:] is not a digit");
        Path pcre = file("p.pcre", "/^a.b$/ dotall\n");
        assertEquals("dotall", Maps.open("pcre:" + pcre).lookup("a\nb").orElse(null), "pcre_table(5): s is on by default");
        assertTrue(Maps.open("pcre:" + file("q.pcre", "/^a.b$/s no dotall\n")).lookup("a\nb").isEmpty(),
                "pcre: flag s turns DOTALL off, so . stops at a newline");
    }

    @Test
    void regexpErrorsNameFileAndLine() throws Exception {
        Path a = file("a.regexp", "# c\n/ok/ OK\n/unclosed REJECT\n");
        assertEquals(a + ":3: missing closing / in the pattern", error("regexp:" + a));
        Path b = file("b.regexp", "/(/ REJECT\n");
        assertTrue(error("regexp:" + b).startsWith(b + ":1: bad regular expression"), error("regexp:" + b));
        Path c = file("c.regexp", "/x/\n");
        assertEquals(c + ":1: no value after the pattern", error("regexp:" + c));
        Path d = file("d.regexp", "x REJECT\n");
        assertEquals(d + ":1: a rule starts with /pattern/ (or is \"if /pattern/\" or \"endif\")", error("regexp:" + d));
        assertTrue(error("regexp:" + dir.resolve("none")).contains("cannot read"));
    }

    @Test
    void lookupResultsAreOptional() throws Exception {
        assertEquals(Optional.empty(), Maps.open("inline:{ a=b }").lookup("c"));
    }
}

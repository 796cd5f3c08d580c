package dev.postern.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MAIL FROM / RCPT TO arguments split as Postfix's smtpd_token() splits them. */
class PathArgumentTest {

    @Test
    void bracketedPathAndParametersInOrderWithRepeats() {
        PathArgument p = PathArgument.parse("FROM", "from: <a@b.example> size=10\tBODY=8BITMIME SMTPUTF8 SIZE=abc");
        assertEquals("a@b.example", p.path());
        assertTrue(p.bracketed());
        assertFalse(p.malformed());
        assertEquals(List.of(new PathArgument.Parameter("SIZE", "10", "size=10"),
                new PathArgument.Parameter("BODY", "8BITMIME", "BODY=8BITMIME"),
                new PathArgument.Parameter("SMTPUTF8", null, "SMTPUTF8"),
                new PathArgument.Parameter("SIZE", "abc", "SIZE=abc")), p.parameters(), "the client's order, a tab too");
    }

    @Test
    void keywordsNeedTheirEqualsSign() {
        List<PathArgument.Parameter> ps = PathArgument.parse("FROM", "FROM:<a@b> SIZE AUTH= RET=x=y").parameters();
        assertFalse(ps.get(0).is("SIZE"), "SIZE without '=' is not smtpd.c's \"SIZE=\"");
        assertTrue(ps.get(1).is("AUTH"));
        assertEquals("", ps.get(1).value());
        assertEquals("x=y", ps.get(2).value(), "the value runs from the first '='");
    }

    @Test
    void bareAddressEndsAtTheFirstSpaceOrTab() {
        PathArgument p = PathArgument.parse("TO", "TO:a@b.example\tNOTIFY=NEVER");
        assertEquals("a@b.example", p.path());
        assertFalse(p.bracketed());
        assertEquals(List.of(new PathArgument.Parameter("NOTIFY", "NEVER", "NOTIFY=NEVER")), p.parameters());
        assertEquals("a@b.example", PathArgument.parse("TO", "TO:   a@b.example").path());
    }

    @Test
    void unclosedBracketIsABadAddressNotBadSyntax() {
        PathArgument p = PathArgument.parse("FROM", "FROM:<a@b.example SIZE=1");
        assertTrue(p.malformed(), "smtpd.c: SMTPD_TOK_ERROR, answered 501 5.1.7");
        assertEquals(List.of(), p.parameters());
    }

    @Test
    void nullSenderAndSyntaxErrors() {
        assertEquals("", PathArgument.parse("FROM", "FROM:<>").path());
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "FROM:"), "no address");
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "FROM:   "), "no address");
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "TO:<a@b>"), "wrong keyword");
    }
}

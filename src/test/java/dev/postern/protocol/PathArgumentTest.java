package dev.postern.protocol;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MAIL FROM / RCPT TO arguments split as Postfix's smtpd_token() splits them. */
class PathArgumentTest {

    @Test
    void bracketedPathAndParametersInOrder() {
        PathArgument p = PathArgument.parse("FROM", "from: <a@b.example> size=10 BODY=8BITMIME SMTPUTF8");
        assertEquals("a@b.example", p.path());
        assertTrue(p.bracketed());
        assertEquals(List.of("SIZE", "BODY", "SMTPUTF8"), List.copyOf(p.parameters().keySet()), "the client's order");
        assertEquals(Map.of("SIZE", "10", "BODY", "8BITMIME", "SMTPUTF8", ""), p.parameters());
    }

    @Test
    void bareAddressEndsAtTheFirstSpace() {
        PathArgument p = PathArgument.parse("TO", "TO:a@b.example NOTIFY=NEVER");
        assertEquals("a@b.example", p.path());
        assertFalse(p.bracketed());
        assertEquals(Map.of("NOTIFY", "NEVER"), p.parameters());
        assertEquals("a@b.example", PathArgument.parse("TO", "TO:   a@b.example").path());
    }

    @Test
    void nullSenderAndSyntaxErrors() {
        assertEquals("", PathArgument.parse("FROM", "FROM:<>").path());
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "FROM:"), "no address");
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "FROM:   "), "no address");
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "TO:<a@b>"), "wrong keyword");
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "FROM:<a@b"), "no '>'");
        assertThrows(IllegalArgumentException.class, () -> PathArgument.parse("FROM", "FROM:<a@b> =1"), "parameter without a name");
    }
}

package dev.postern.protocol;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Postfix's escape() (util/unescape.c), byte for byte. */
class PostfixEscapeTest {

    @Test
    void printableAsciiStaysAndTheRestIsEscaped() {
        assertEquals("MAIL FROM:<a@b>\\r\\n", PostfixEscape.escape("MAIL FROM:<a@b>\r\n"));
        assertEquals("\\a\\b\\f\\t\\v\\\\", PostfixEscape.escape("\u0007\b\f\t\u000b\\"));
        assertEquals("\\000\\001\\177\\200\\377", PostfixEscape.escape("\u0000\u0001\u007f\u0080\u00ff"));
    }
}

package dev.postern.bounce;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A notice's recipient lines wrapped as Postfix's bounce_print_wrap() (util/line_wrap.c, 79 columns, indent 4). */
class DsnMessageWrapTest {
    @Test
    void wrapsAtSeventyNineColumnsAsPostfix() {
        // Postfix 3.7's own bounce for this reason (OriginalRecipientInteropTest compares the whole notice)
        assertEquals("<bob@dest.example> (expanded from <team@dest.example>): host\r\n"
                        + "    127.0.0.1[127.0.0.1] said: 550 5.1.1 <bob@dest.example>: no such user (in\r\n"
                        + "    reply to RCPT TO command)\r\n",
                DsnMessage.wrap("<bob@dest.example> (expanded from <team@dest.example>): host 127.0.0.1[127.0.0.1] said: "
                        + "550 5.1.1 <bob@dest.example>: no such user (in reply to RCPT TO command)"));
    }

    @Test
    void aLineOfExactlySeventyNineStaysWholeAndALongWordIsNeverSplit() {
        String seventyNine = "<a@b.example>: " + "x".repeat(64);
        assertEquals(79, seventyNine.length());
        assertEquals(seventyNine + "\r\n", DsnMessage.wrap(seventyNine));
        String word = "y".repeat(100);
        assertEquals("<a@b.example>:\r\n    " + word + "\r\n    end\r\n", DsnMessage.wrap("<a@b.example>: " + word + " end"));
    }
}

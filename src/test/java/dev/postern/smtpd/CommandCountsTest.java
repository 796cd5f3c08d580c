package dev.postern.smtpd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The disconnect line's tally, in Postfix's command-table order whatever the order of arrival. */
class CommandCountsTest {
    @Test
    void postfixTableOrderAndOkSlashTotal() {
        CommandCounts c = new CommandCounts();
        c.record("NOOP", true);
        c.record("EHLO", true);
        c.record("RSET", true);
        c.record("STARTTLS", true);
        c.record("EHLO", true);
        c.record("MAIL", true);
        c.record("RCPT", false);
        c.record("RCPT", true);
        c.record("DATA", true);
        c.record("QUIT", true);
        // Postfix: smtpd_format_cmd_stats walks smtpd_cmd_table (ehlo starttls ... rset noop ... quit)
        assertEquals("ehlo=2 starttls=1 mail=1 rcpt=1/2 data=1 rset=1 noop=1 quit=1 commands=9/10", c.toString());
    }

    @Test
    void wordsOutsideTheTableAreUnknownAndAnEmptySessionSaysZero() {
        CommandCounts c = new CommandCounts();
        assertEquals("commands=0", c.toString());
        c.record("EXPN", false);
        c.record("unknown", false);
        c.record("helo", true);
        assertEquals("helo=1 unknown=0/2 commands=1/3", c.toString());
    }
}

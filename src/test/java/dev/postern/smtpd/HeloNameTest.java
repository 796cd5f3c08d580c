package dev.postern.smtpd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The HELO name as Postfix's smtpd keeps it: collapse_args(), printable(), then neuter(). */
class HeloNameTest {

    @Test
    void wordsAreJoinedAndTheSpacesMasked() {
        assertEquals("mail.example", SmtpSession.heloName("mail.example", false));
        assertEquals("a?b?c", SmtpSession.heloName("  a \t b   c  ", false));
        assertEquals("[192.0.2.1]", SmtpSession.heloName("[192.0.2.1]", false), "address literals stay");
    }

    @Test
    void nothingThatCouldForgeALogFieldOrAReceivedClauseSurvives() {
        assertEquals("x????sasl_username=?admin", SmtpSession.heloName("x>\"; sasl_username=<admin", false));
        assertEquals("a?by?evil?with?ESMTP?id?X??Mon", SmtpSession.heloName("a by evil with ESMTP id X; Mon", false));
        assertEquals("????????x", SmtpSession.heloName("<>()\\\";@x", false), "NEUTER_CHARACTERS");
    }

    @Test
    void unprintableCharactersBecomeQuestionMarks() {
        assertEquals("a?b?", SmtpSession.heloName("a\u0001b\u007f", false));
        assertEquals("caf??", SmtpSession.heloName("caf\u00e9", false), "each byte of non-ASCII without SMTPUTF8");
        assertEquals("caf\u00e9", SmtpSession.heloName("caf\u00e9", true), "UTF-8 with SMTPUTF8");
        assertEquals("bad?", SmtpSession.heloName("bad\ufffd", true), "a byte that was not UTF-8");
    }
}

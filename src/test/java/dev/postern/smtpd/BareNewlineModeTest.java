package dev.postern.smtpd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** smtpd_forbid_bare_newline values as Postfix 3.9+ reads them. */
class BareNewlineModeTest {
    @Test
    void yesIsAnAliasForNormalize() {
        assertEquals("normalize", SmtpdSettings.bareNewlineMode("yes"));
        assertEquals("normalize", SmtpdSettings.bareNewlineMode("YES"));
        assertEquals("normalize", SmtpdSettings.bareNewlineMode("normalize"));
        assertEquals("reject", SmtpdSettings.bareNewlineMode("Reject"));
        assertEquals("no", SmtpdSettings.bareNewlineMode("no"));
    }
}

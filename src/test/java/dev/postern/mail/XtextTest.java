package dev.postern.mail;

import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RFC 3461 xtext, RFC 6533 unitext and the NOTIFY keyword list, as Postfix reads and writes them. */
class XtextTest {
    @Test
    void xtextRoundTripsAndIsStrict() {
        assertEquals("a+b=c d\u00e9", Xtext.decode(Xtext.encode("a+b=c d\u00e9")));
        assertEquals("a+2Bb+3Dc+20d+C3+A9", Xtext.encode("a+b=c d\u00e9"));
        for (String bad : new String[] {"a+2b", "a+2", "a=b", "a b", "a\u00e9"}) {
            assertThrows(IllegalArgumentException.class, () -> Xtext.decode(bad), bad);
        }
    }

    @Test
    void unitextRoundTripsAndIsStrict() {
        assertEquals("j\u00f6rg+x@b\u00fccher.example", Xtext.decodeUnitext("j\u00f6rg+x@b\\x{FC}cher.example"));
        assertEquals("j\\x{F6}rg\\x{2B}x@example", Xtext.encodeUnitext("j\u00f6rg+x@example"));
        assertEquals("\ud83d\udce7", Xtext.decodeUnitext(Xtext.encodeUnitext("\ud83d\udce7")));
        for (String bad : new String[] {"\\x{}", "\\x{110000}", "\\x{12", "\\x{zz}"}) {
            assertThrows(IllegalArgumentException.class, () -> Xtext.decodeUnitext(bad), bad);
        }
    }

    @Test
    void notifyIsNeverAloneOrAListOfTheOthers() {
        assertEquals(Set.of(RecipientDsn.Notify.SUCCESS, RecipientDsn.Notify.DELAY), RecipientDsn.parseNotify("delay,Success"));
        assertEquals(Set.of(RecipientDsn.Notify.NEVER), RecipientDsn.parseNotify("NEVER"));
        for (String bad : new String[] {"NEVER,FAILURE", "", "SUCCESS,", "SOMETIMES"}) {
            assertThrows(IllegalArgumentException.class, () -> RecipientDsn.parseNotify(bad), bad);
        }
        RecipientDsn d = new RecipientDsn(RecipientDsn.parseNotify("DELAY,SUCCESS,FAILURE"), "rfc822", "a@b");
        assertEquals("SUCCESS,FAILURE,DELAY", d.notifyKeywords());
        assertEquals("rfc822;a@b", d.orcpt());
        assertEquals(true, RecipientDsn.NONE.wants(RecipientDsn.Notify.FAILURE));
        assertEquals(false, RecipientDsn.NONE.wants(RecipientDsn.Notify.SUCCESS));
    }
}

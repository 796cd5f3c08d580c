package dev.postern.smtpd;

import dev.postern.config.Config;
import dev.postern.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** smtpd_discard_ehlo_keywords read as Postfix's ehlo_mask() reads it, and the EHLO replies built from it. */
class EhloDiscardTest {
    @TempDir
    Path dir;

    @Test
    void namesInAnyCaseSeparatedByCommasOrSpace() {
        EhloDiscard d = EhloDiscard.parse(" DSN,pipelining \t8bitMIME, ,SmtpUtf8 ");
        assertTrue(d.discards(EhloKeyword.DSN));
        assertTrue(d.discards(EhloKeyword.PIPELINING));
        assertTrue(d.discards(EhloKeyword.EIGHTBITMIME));
        assertTrue(d.discards(EhloKeyword.SMTPUTF8));
        assertFalse(d.discards(EhloKeyword.STARTTLS));
        assertFalse(d.discards(EhloKeyword.SILENT_DISCARD));
        assertEquals(List.of(), d.unknown());
    }

    @Test
    void everyPostfixKeywordIsKnown() {
        EhloDiscard d = EhloDiscard.parse("pipelining size vrfy etrn auth starttls 8bitmime dsn enhancedstatuscodes"
                + " smtputf8 chunking xclient xforward verp requiretls silent-discard");
        for (EhloKeyword k : EhloKeyword.values()) {
            assertTrue(d.discards(k), k.word);
        }
        assertEquals(List.of(), d.unknown());
    }

    @Test
    void unknownNamesAreIgnoredButKeptForTheWarning() {
        EhloDiscard d = EhloDiscard.parse("dsn, starttsl, bogus starttsl");
        assertTrue(d.discards(EhloKeyword.DSN));
        assertFalse(d.discards(EhloKeyword.STARTTLS));
        assertEquals(List.of("starttsl", "bogus"), d.unknown());
        assertEquals("unknown EHLO keywords \"starttsl\", \"bogus\" ignored, as Postfix ignores them (known: 8bitmime,"
                + " auth, etrn, pipelining, size, verp, vrfy, xclient, xforward, starttls, enhancedstatuscodes, dsn,"
                + " smtputf8, chunking, requiretls, silent-discard)", EhloDiscardCheck.unknownWords(d));
    }

    @Test
    void emptyDiscardsNothing() {
        assertSame(EhloDiscard.NONE, EhloDiscard.parse(""));
        assertSame(EhloDiscard.NONE, EhloDiscard.parse(" , "));
        assertNull(EhloDiscard.NONE.logLine());
    }

    @Test
    void theLogLineIsStrEhloMaskInPostfixTableOrderUnlessSilent() {
        // ehlo_mask.c's table order (8BITMIME AUTH ETRN PIPELINING SIZE VERP VRFY XCLIENT XFORWARD
        // STARTTLS ENHANCEDSTATUSCODES DSN SMTPUTF8 CHUNKING), not the order written
        assertEquals("discarding EHLO keywords: 8BITMIME PIPELINING STARTTLS DSN",
                EhloDiscard.parse("dsn starttls pipelining 8bitmime").logLine());
        assertEquals("discarding EHLO keywords: ENHANCEDSTATUSCODES",
                EhloDiscard.parse("enhancedstatuscodes").logLine(), "logged, where Postfix's ehlo_cmd() stays silent");
        assertNull(EhloDiscard.parse("dsn silent-discard").logLine());
        assertNull(EhloDiscard.parse("nosuchkeyword").logLine(), "nothing known discarded: nothing to say");
    }

    @Test
    void theRepliesLeaveOutWhatIsDiscardedAndKeepPostfixOrder() throws Exception {
        SmtpdSettings s = settings("message_size_limit = 1000\n");
        EhloOffer all = new EhloOffer(s, EhloDiscard.NONE);
        assertEquals(List.of("mx.example", "PIPELINING", "SIZE 1000", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN",
                "SMTPUTF8"), all.reply(true, false).lines());
        assertEquals(List.of("mx.example", "PIPELINING", "SIZE 1000", "AUTH EXTERNAL", "ENHANCEDSTATUSCODES", "8BITMIME",
                "DSN", "SMTPUTF8"), all.reply(false, true).lines());
        EhloOffer some = new EhloOffer(s, EhloDiscard.parse("starttls auth dsn smtputf8 enhancedstatuscodes size"));
        assertEquals(List.of("mx.example", "PIPELINING", "8BITMIME"), some.reply(true, true).lines());
        assertSame(some.reply(true, true), some.reply(true, true), "built once");
        assertEquals(List.of("mx.example", "PIPELINING", "SIZE", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"),
                new EhloOffer(settings("message_size_limit = 0\n"), EhloDiscard.NONE).reply(false, false).lines(),
                "no size limit: a bare SIZE, as Postfix (not \"SIZE 0\")");
        EhloOffer rest = new EhloOffer(s, EhloDiscard.parse("pipelining 8bitmime"));
        assertEquals(List.of("mx.example", "SIZE 1000", "ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8"),
                rest.reply(false, false).lines());
    }

    @Test
    void bothParametersAreReadPerServiceSoMasterCfOverridesWork() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "compatibility_level = 3.6\nsmtpd_discard_ehlo_keywords = dsn\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n127.0.0.2:0 inet n - n - - smtpd\n"
                + "  -o smtpd_discard_ehlo_keywords=pipelining,silent-discard\n"
                + "  -o smtpd_discard_ehlo_keyword_address_maps=cidr:" + dir.resolve("ehlo.cidr") + "\n");
        Config c = ConfigLoader.load(dir).config();
        SmtpdSettings first = SmtpdSettings.from(c.forService(c.services().get(0)), "smtpd");
        SmtpdSettings second = SmtpdSettings.from(c.forService(c.services().get(1)), "smtpd");
        assertTrue(first.discardEhlo().keywords().discards(EhloKeyword.DSN));
        assertEquals("main.cf:2", first.discardEhlo().origin());
        assertEquals(List.of(), first.discardEhlo().maps());
        assertFalse(second.discardEhlo().keywords().discards(EhloKeyword.DSN));
        assertTrue(second.discardEhlo().keywords().discards(EhloKeyword.PIPELINING));
        assertTrue(second.discardEhlo().origin().startsWith("master.cf:"), second.discardEhlo().origin());
        assertEquals(List.of("cidr:" + dir.resolve("ehlo.cidr")), second.discardEhlo().maps());
    }

    private SmtpdSettings settings(String extra) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "compatibility_level = 3.6\nmyhostname = mx.example\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n" + extra);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        Config c = ConfigLoader.load(dir).config();
        return SmtpdSettings.from(c.forService(c.services().get(0)), "smtpd");
    }
}

package dev.postern.rewrite;

import dev.postern.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * trivial-rewrite's rewrite_tree() (Postfix trivial-rewrite/rewrite.c) with swap_bangpath,
 * allow_percent_hack, append_at_myorigin and append_dot_mydomain, each on and off, in the local
 * context ($myorigin = origin.example, $mydomain = example.com) and the remote one; the cases
 * worked out from rewrite.c's token operations (AddressRewritingInteropTest checks the same forms
 * against Postfix 3.7 through cleanup).
 */
class LocalRewriteTest {
    private static final String ORIGIN = "origin.example";
    private static final String DOMAIN = "example.com";

    private static LocalRewrite.Context local(boolean bang, boolean percent, boolean at, boolean dot) {
        return new LocalRewrite.Context(ORIGIN, DOMAIN, bang, percent, at, dot, null);
    }

    /** Postfix's defaults below compatibility_level 1: every switch on. */
    private static final LocalRewrite.Context ALL = local(true, true, true, true);

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            // swap_bangpath: the first '!' splits; what follows it is the local part
            "host!user | user@host.example.com",
            "a!b!c | b!c@a.example.com",
            "a.b!c | c@a.b",
            "host.example.net!user | user@host.example.net",
            // a leading or trailing '!' leaves a broken form, as in Postfix (an empty local part is quoted on output)
            "!user | user@",
            "user! | '\"\"@user.example.com'",
            // bang before percent: user%host!x swaps at the '!'
            "a%b!c | c@a%b.example.com",
            // allow_percent_hack: the last '%' becomes '@'
            "user%host | user@host.example.com",
            "a%b%c | a%b@c.example.com",
            "user%host.example.net | user@host.example.net",
            // with an '@' neither applies; the domain still gets .$mydomain when it has no dot
            "user%host@laptop | user%host@laptop.example.com",
            "host!user@laptop | host!user@laptop.example.com",
            "user%host@example.net | user%host@example.net",
            // quoted local parts are one token: their '!' and '%' are text (and, being dot-string
            // characters for quote_822_local(), come out unquoted, as from Postfix)
            "'\"a!b\"' | a!b@origin.example",
            "'\"a%b\"' | a%b@origin.example",
            "'\"a!b\"@laptop' | a!b@laptop.example.com",
            "'\"a b\"@laptop' | '\"a b\"@laptop.example.com'",
            // append_at_myorigin, then append_dot_mydomain ($myorigin has a dot)
            "joe | joe@origin.example",
            "joe@laptop | joe@laptop.example.com",
            "joe@LAPTOP | joe@LAPTOP.example.com",
            "joe@localhost | joe@localhost.example.com",
            "joe@mail.example.org | joe@mail.example.org",
            // a domain literal, a broken "user@", a trailing dot (kept from the dot check, then removed)
            "joe@[192.0.2.1] | joe@[192.0.2.1]",
            "joe@ | joe@",
            "joe@laptop. | joe@laptop",
            "joe@laptop.. | joe@laptop..",
            // source route dropped first
            "@relay.example:joe@laptop | joe@laptop.example.com",
            // the empty address and a lone '@'
            "'\"\"' | '\"\"'",
            "@ | '\"\"'",
    })
    void postfixDefaultsBelowCompatibilityLevel1(String in, String out) {
        assertEquals(out, LocalRewrite.rewrite(in, ALL));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "host!user | host!user@origin.example",
            "a!b!c | a!b!c@origin.example",
            "user%host | user@host.example.com",
    })
    void swapBangpathOff(String in, String out) {
        assertEquals(out, LocalRewrite.rewrite(in, local(false, true, true, true)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "user%host | user%host@origin.example",
            "host!user | user@host.example.com",
            "user%host@laptop | user%host@laptop.example.com",
    })
    void allowPercentHackOff(String in, String out) {
        assertEquals(out, LocalRewrite.rewrite(in, local(true, false, true, true)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "joe@laptop | joe@laptop",
            "joe | joe@origin.example",
            "host!user | user@host",
            "user%host | user@host",
            "joe@laptop. | joe@laptop",
    })
    void appendDotMydomainOff(String in, String out) {
        assertEquals(out, LocalRewrite.rewrite(in, local(true, true, true, false)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "joe | joe",
            "joe@laptop | joe@laptop.example.com",
            "host!user | user@host.example.com",
    })
    void appendAtMyoriginOff(String in, String out) {
        assertEquals(out, LocalRewrite.rewrite(in, local(true, true, false, true)));
    }

    @Test
    void emptyMydomainOrMyoriginAppendsNothing() {
        LocalRewrite.Context empty = new LocalRewrite.Context("", "", true, true, true, true, null);
        assertEquals("joe", LocalRewrite.rewrite("joe", empty));
        assertEquals("joe@laptop", LocalRewrite.rewrite("joe@laptop", empty));
        assertEquals("user@host", LocalRewrite.rewrite("host!user", empty));
    }

    /** rewrite.c's remote_context: $remote_header_rewrite_domain is both the origin and the domain. */
    @Test
    void remoteContextUsesRemoteHeaderRewriteDomainForBoth() {
        LocalRewrite.Context remote = new LocalRewrite.Context("domain.invalid", "domain.invalid", true, true, true, true, null);
        assertEquals("joe@domain.invalid", LocalRewrite.rewrite("joe", remote));
        assertEquals("joe@laptop.domain.invalid", LocalRewrite.rewrite("joe@laptop", remote));
        assertEquals("user@host.domain.invalid", LocalRewrite.rewrite("host!user", remote));
    }

    /** The old two-argument form: @origin only, none of the three switches (HeaderAddressesPostfixTest's capture). */
    @Test
    void canonicalizeKeepsTheSwitchesOff() {
        assertEquals("host!user@o.example", LocalRewrite.canonicalize("host!user", "o.example"));
        assertEquals("user%host@o.example", LocalRewrite.canonicalize("user%host", "o.example"));
        assertEquals("joe@laptop", LocalRewrite.canonicalize("joe@laptop", "o.example"));
    }

    /** cleanup_rewrite_internal(): quote_822_local, rewrite, unquote_822_local. */
    @Test
    void internalFormIsQuotedForTheRewriteAndUnquotedAfter() {
        assertEquals("a(b)c@laptop.example.com", LocalRewrite.rewriteInternal("a(b)c@laptop", ALL));
        assertEquals("joe@laptop.example.com", LocalRewrite.rewriteInternal("joe@laptop", ALL));
        assertEquals("joe@mail.example.org", LocalRewrite.rewriteInternal("joe@mail.example.org", ALL));
        assertEquals("jö@läptop.example.com", LocalRewrite.rewriteInternal("jö@läptop", ALL));
    }

    private static LocalRewrite.Context logging(List<String> into, boolean localhostHasClass) {
        return new LocalRewrite.Context(ORIGIN, DOMAIN, true, true, true, true,
                new LocalRewrite.CompatNotice(DOMAIN, localhostHasClass, into::add));
    }

    /** rewrite.c's msg_info() under warn_compat_break_app_dot_mydomain, word for word. */
    @Test
    void compatibilityNoticeForEachDomainCompleted() {
        List<String> log = new ArrayList<>();
        LocalRewrite.rewrite("joe@laptop", logging(log, true));
        LocalRewrite.rewrite("joe@mail.example.org", logging(log, true));
        LocalRewrite.rewrite("host!user", logging(log, true));
        LocalRewrite.rewrite("joe", logging(log, true));
        assertEquals(List.of(
                "using backwards-compatible default setting append_dot_mydomain=yes to rewrite \"laptop\" to \"laptop.example.com\"",
                "using backwards-compatible default setting append_dot_mydomain=yes to rewrite \"host\" to \"host.example.com\""), log);
    }

    @Test
    void localhostIsNamedOnlyWithoutAnAddressClass() {
        List<String> log = new ArrayList<>();
        LocalRewrite.rewrite("joe@localhost", logging(log, true));
        assertEquals(List.of(), log, "localhost in mydestination: no notice");
        LocalRewrite.rewrite("joe@LocalHost", logging(log, false));
        assertEquals(List.of("using backwards-compatible default setting append_dot_mydomain=yes to rewrite \"LocalHost\" to"
                + " \"LocalHost.example.com\"; please add \"localhost\" to mydestination or other address class"), log);
    }

    @Test
    void settingsFromMainCf(@TempDir Path dir) throws Exception {
        RewriteSettings unset = settings(dir.resolve("a"), "");
        assertTrue(unset.swapBangpath() && unset.allowPercentHack() && unset.appendDotMydomain());
        assertTrue(unset.appendDotMydomainCompat(), "compatibility_level unset (0), append_dot_mydomain unset");
        assertTrue(unset.localhostHasClass(), "mydestination's default has localhost");
        RewriteSettings explicitYes = settings(dir.resolve("b"), "append_dot_mydomain = yes\nmydestination = $myhostname\n");
        assertTrue(explicitYes.appendDotMydomain());
        assertFalse(explicitYes.appendDotMydomainCompat(), "set explicitly: no notice");
        assertFalse(explicitYes.localhostHasClass());
        RewriteSettings level1 = settings(dir.resolve("c"), "compatibility_level = 1\n");
        assertFalse(level1.appendDotMydomain());
        assertFalse(level1.appendDotMydomainCompat());
        RewriteSettings level36 = settings(dir.resolve("d"), "compatibility_level = 3.6\n");
        assertFalse(level36.appendDotMydomain());
        RewriteSettings off = settings(dir.resolve("e"), "swap_bangpath = no\nallow_percent_hack = no\nappend_dot_mydomain = no\n");
        assertFalse(off.swapBangpath() || off.allowPercentHack() || off.appendDotMydomain() || off.appendDotMydomainCompat());
        assertEquals("example.com", off.mydomain());
    }

    private static RewriteSettings settings(Path dir, String mainCf) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.example.com\nmydomain = example.com\n" + mainCf);
        Files.writeString(dir.resolve("master.cf"), "");
        return RewriteSettings.from(ConfigLoader.load(dir).config());
    }
}

package dev.postern.rewrite;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** cleanup_masquerade_external(), with the examples of Postfix's ADDRESS_REWRITING_README. */
class MasqueradeTest {
    @Test
    void subdomainsBecomeTheListedDomain() {
        Masquerade m = new Masquerade(List.of("example.com"), List.of());
        assertEquals("joe@example.com", m.apply("joe@host.sub.example.com"));
        assertEquals("joe@example.com", m.apply("joe@HOST.Example.COM"));
        assertEquals("joe@example.com", m.apply("joe@example.com"));
        assertEquals("joe@notexample.com", m.apply("joe@notexample.com"), "a parent only at a dot");
        assertEquals("joe@other.org", m.apply("joe@other.org"));
    }

    @Test
    void theFirstMatchingEntryDecidesAndBangStopsIt() {
        Masquerade m = new Masquerade(List.of("!sub.example.com", "example.com"), List.of());
        assertEquals("joe@sub.example.com", m.apply("joe@sub.example.com"));
        assertEquals("joe@host.sub.example.com", m.apply("joe@host.sub.example.com"), "!sub.example.com matches and keeps it");
        assertEquals("joe@example.com", m.apply("joe@host.example.com"));
        Masquerade first = new Masquerade(List.of("sub.example.com", "example.com"), List.of());
        assertEquals("joe@sub.example.com", first.apply("joe@host.sub.example.com"));
    }

    @Test
    void exceptionsKeepTheirDomain() {
        Masquerade m = new Masquerade(List.of("example.com"), List.of("root", "mailer-daemon"));
        assertEquals("ROOT@host.example.com", m.apply("ROOT@host.example.com"));
        assertEquals("joe@example.com", m.apply("joe@host.example.com"));
    }
}

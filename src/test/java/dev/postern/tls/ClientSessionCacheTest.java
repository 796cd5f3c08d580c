package dev.postern.tls;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SMTP client's session cache index: names, lifetimes (on a clock the test moves), forgetting. */
class ClientSessionCacheTest {
    private static final String A = "smtp&[a.example]:587&a.example&192.0.2.1&587&secure&&AB";
    private static final String B = "smtp&[b.example]:587&b.example&192.0.2.2&587&secure&&AB";

    /** A clock that moves only when told. */
    private static final class Clock implements InstantSource {
        Instant now = Instant.parse("2026-12-04T10:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }
    }

    @Test
    void postfixsBoundsOnTheTimeout() {
        assertEquals(Duration.ZERO, ClientSessionCache.effectiveTimeout(Duration.ZERO), "0 turns the cache off");
        assertEquals(Duration.ZERO, ClientSessionCache.effectiveTimeout(Duration.ofSeconds(-1)));
        assertEquals(Duration.ofSeconds(120), ClientSessionCache.effectiveTimeout(Duration.ofSeconds(1)), "tlsmgr.c raises it to 2 min");
        assertEquals(Duration.ofSeconds(120), ClientSessionCache.effectiveTimeout(Duration.ofSeconds(119)));
        assertEquals(Duration.ofSeconds(121), ClientSessionCache.effectiveTimeout(Duration.ofSeconds(121)));
        assertEquals(Duration.ofSeconds(3600), ClientSessionCache.effectiveTimeout(Duration.ofSeconds(3600)));
        assertThrows(IllegalArgumentException.class, () -> new ClientSessionCache(Duration.ZERO, InstantSource.system()));
    }

    @Test
    void theIndexIsBoundedOldestFirst() {
        ClientSessionCache c = new ClientSessionCache(Duration.ofSeconds(3600), new Clock());
        String first = c.lookup("smtp&server0");
        for (int i = 1; i <= ClientSessionCache.MAX_ENTRIES + 10; i++) {
            c.lookup("smtp&server" + i);
        }
        assertEquals(ClientSessionCache.MAX_ENTRIES, c.size(), "no more servers than the bound, however many were seen");
        assertNotEquals(first, c.lookup("smtp&server0"), "the oldest went first: a new name for it now");
    }

    @Test
    void oneNamePerServerUntilTheTimeoutCountedFromTheFirstLookup() {
        Clock clock = new Clock();
        ClientSessionCache c = new ClientSessionCache(Duration.ofSeconds(3600), clock);
        String a = c.lookup(A);
        assertTrue(a.startsWith(A + "&"), a);
        assertEquals(a, c.lookup(A), "the same name while the entry lives");
        String b = c.lookup(B);
        assertNotEquals(a, b, "another server, another name");
        clock.advance(Duration.ofSeconds(3599));
        assertEquals(a, c.lookup(A), "resumptions do not extend the entry, but it still lives");
        clock.advance(Duration.ofSeconds(1));
        String a2 = c.lookup(A);
        assertNotEquals(a, a2, "expired at exactly the timeout: a new name, so no old session is offered");
        assertEquals(a2, c.lookup(A));
        assertEquals(1, c.size(), "B's expired entry went when A's new one was made");
        assertNotEquals(b, c.lookup(B));
    }

    @Test
    void anEntryNeverOutlivesTheServersCertificates() {
        Clock clock = new Clock();
        ClientSessionCache c = new ClientSessionCache(Duration.ofSeconds(3600), clock);
        String a = c.lookup(A);
        c.limit(A, a, clock.now.plusSeconds(60)); // the server's chain expires in a minute
        c.limit(A, a, clock.now.plusSeconds(7200)); // a later expiry never lengthens it
        clock.advance(Duration.ofSeconds(59));
        assertEquals(a, c.lookup(A));
        clock.advance(Duration.ofSeconds(1));
        assertNotEquals(a, c.lookup(A), "gone when the first certificate of the chain expires");
        String b = c.lookup(B);
        c.limit(B, b, clock.now.minusSeconds(1)); // an expired chain (may, encrypt): nothing to resume
        assertNotEquals(b, c.lookup(B));
    }

    @Test
    void forgettingDropsOnlyTheEntryTheNameCameFrom() {
        Clock clock = new Clock();
        ClientSessionCache c = new ClientSessionCache(Duration.ofSeconds(3600), clock);
        String a = c.lookup(A);
        assertTrue(c.forget(A, a));
        String a2 = c.lookup(A);
        assertNotEquals(a, a2, "after a failed handshake or verdict, a full handshake");
        assertFalse(c.forget(A, a), "a late failure under the old name leaves the new entry alone");
        assertEquals(a2, c.lookup(A));
        c.limit(A, a, clock.now.minusSeconds(1)); // the old name's limit neither
        assertEquals(a2, c.lookup(A));
        assertFalse(c.forget(B, "x&1"));
    }

    @Test
    void namesAreNeverHostNames() {
        ClientSessionCache c = new ClientSessionCache(Duration.ofSeconds(3600), InstantSource.system());
        assertThrows(IllegalArgumentException.class, () -> c.lookup("mail.example.org"));
        String name = c.lookup(A);
        assertThrows(IllegalArgumentException.class, () -> new javax.net.ssl.SNIHostName(name),
                "Netty would send a valid host name as SNI");
    }
}

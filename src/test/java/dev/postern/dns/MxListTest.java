package dev.postern.dns;

import dev.postern.testing.LoopbackDns;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MX lists from a real DNS server on loopback, over real UDP. */
class MxListTest {
    LoopbackDns dns;
    Resolver resolver;
    final MxList.Options all = new MxList.Options(true, false, true, true, 5);

    @BeforeEach
    void setUp() throws Exception {
        dns = new LoopbackDns();
        resolver = Resolver.of(List.of(dns.server()), Duration.ofSeconds(2));
    }

    @AfterEach
    void tearDown() {
        dns.close();
    }

    private List<String> hosts(MxList.Result r) {
        return assertInstanceOf(MxList.Found.class, r, r.toString()).targets().stream()
                .map(t -> t.host() + "=" + t.address().getHostAddress()).toList();
    }

    @Test
    void preferenceOrderThenEachHostsAddresses() throws Exception {
        dns.mx("example.test", 20, "backup.example.test").mx("example.test", 10, "primary.example.test")
                .a("primary.example.test", "127.0.0.2").a("primary.example.test", "::1").a("backup.example.test", "127.0.0.3");
        assertEquals(List.of("primary.example.test=127.0.0.2", "primary.example.test=0:0:0:0:0:0:0:1",
                "backup.example.test=127.0.0.3"), hosts(MxList.forDomain(resolver, "example.test", all, new Random())));
    }

    @Test
    void inetProtocolsIpv4OnlyAsksNoAaaa() throws Exception {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "127.0.0.2").a("mx.example.test", "::1");
        MxList.Options v4 = new MxList.Options(true, false, true, false, 5);
        assertEquals(List.of("mx.example.test=127.0.0.2"), hosts(MxList.forDomain(resolver, "example.test", v4, new Random())));
        assertFalse(dns.questions.contains("mx.example.test AAAA"), dns.questions.toString());
    }

    @Test
    void equalPreferencesAreShuffled() throws Exception {
        dns.mx("example.test", 10, "a.example.test").mx("example.test", 10, "b.example.test").mx("example.test", 5, "first.example.test")
                .a("a.example.test", "127.0.0.2").a("b.example.test", "127.0.0.3").a("first.example.test", "127.0.0.4");
        Set<String> seconds = new HashSet<>();
        Random random = new Random(1);
        for (int i = 0; i < 40; i++) {
            List<String> h = hosts(MxList.forDomain(resolver, "example.test", all, random));
            assertEquals("first.example.test=127.0.0.4", h.get(0)); // the lower preference always first
            seconds.add(h.get(1));
        }
        assertEquals(Set.of("a.example.test=127.0.0.2", "b.example.test=127.0.0.3"), seconds);
    }

    @Test
    void noMxMeansTheDomainsOwnAddresses() throws Exception {
        dns.a("plain.test", "127.0.0.5");
        assertEquals(List.of("plain.test=127.0.0.5"), hosts(MxList.forDomain(resolver, "plain.test", all, new Random())));
        assertTrue(dns.questions.contains("plain.test MX"), dns.questions.toString());
    }

    @Test
    void nullMx() {
        dns.nullMx("nomail.test");
        assertEquals(new MxList.NullMx("nomail.test"), MxList.forDomain(resolver, "nomail.test", all, new Random()));
    }

    @Test
    void nxdomainIsPermanentWithPostfixsText() {
        MxList.Failed f = assertInstanceOf(MxList.Failed.class, MxList.forDomain(resolver, "nowhere.test", all, new Random()));
        assertFalse(f.temporary());
        assertEquals("Host or domain name not found. Name service error for name=nowhere.test type=MX: Host not found", f.text());
    }

    @Test
    void servfailIsTemporary() {
        dns.servfail("broken.test");
        MxList.Failed f = assertInstanceOf(MxList.Failed.class, MxList.forDomain(resolver, "broken.test", all, new Random()));
        assertTrue(f.temporary());
        assertEquals("Host or domain name not found. Name service error for name=broken.test type=MX: Host not found, try again",
                f.text());
    }

    @Test
    void addressLimitCutsTheList() throws Exception {
        for (int i = 1; i <= 4; i++) {
            dns.mx("many.test", i, "mx" + i + ".many.test").a("mx" + i + ".many.test", "127.0.0." + (10 + i));
        }
        MxList.Options two = new MxList.Options(true, false, true, true, 2);
        assertEquals(List.of("mx1.many.test=127.0.0.11", "mx2.many.test=127.0.0.12"),
                hosts(MxList.forDomain(resolver, "many.test", two, new Random())));
    }

    @Test
    void mxHostsWithoutAddressesAreSkippedAndAllMissingIsNotFound() throws Exception {
        dns.mx("half.test", 10, "gone.half.test").mx("half.test", 20, "there.half.test").a("there.half.test", "127.0.0.6");
        assertEquals(List.of("there.half.test=127.0.0.6"), hosts(MxList.forDomain(resolver, "half.test", all, new Random())));
        dns.mx("none.test", 10, "gone.none.test");
        MxList.Failed f = assertInstanceOf(MxList.Failed.class, MxList.forDomain(resolver, "none.test", all, new Random()));
        assertFalse(f.temporary());
        assertTrue(f.text().startsWith("Host or domain name not found. Name service error for name=gone.none.test type="), f.text());
    }

    /** An answer too big for UDP comes back truncated; the resolver asks again over TCP. */
    @Test
    void largeAnswersComeOverTcp() throws Exception {
        for (int i = 1; i <= 30; i++) {
            dns.mx("big.test", i, "a-rather-long-mail-exchanger-name-" + i + ".big.test");
        }
        dns.a("a-rather-long-mail-exchanger-name-1.big.test", "127.0.0.9");
        assertEquals(List.of("a-rather-long-mail-exchanger-name-1.big.test=127.0.0.9"),
                hosts(MxList.forDomain(resolver, "big.test", all, new Random())).subList(0, 1));
        assertTrue(dns.udpTruncated > 0, "the MX answer did not need TCP: make it bigger");
    }

    @Test
    void cnameIsFollowed() throws Exception {
        dns.mx("alias.test", 10, "mx.alias.test").cname("mx.alias.test", "real.alias.test").a("real.alias.test", "127.0.0.7");
        assertEquals(List.of("mx.alias.test=127.0.0.7"), hosts(MxList.forDomain(resolver, "alias.test", all, new Random())));
    }

    @Test
    void bracketedHostSkipsMx() throws Exception {
        dns.mx("host.test", 10, "elsewhere.test").a("host.test", "127.0.0.8");
        assertEquals(List.of("host.test=127.0.0.8"), hosts(MxList.forHost(resolver, "host.test", all)));
        assertFalse(dns.questions.stream().anyMatch(q -> q.endsWith(" MX")), dns.questions.toString());
    }

    @Test
    void nativeLookupUsesTheSystemResolver() {
        MxList.Options nativeOnly = new MxList.Options(false, true, true, false, 5);
        assertEquals(List.of("localhost=127.0.0.1"), hosts(MxList.forHost(resolver, "localhost", nativeOnly)));
        assertTrue(dns.questions.isEmpty(), dns.questions.toString());
        MxList.Failed f = assertInstanceOf(MxList.Failed.class, MxList.forHost(resolver, "no-such-host.invalid", nativeOnly));
        assertTrue(f.text().startsWith("unable to look up host no-such-host.invalid: "), f.text());
    }

    @Test
    void localhostNeverReachesTheServer() {
        assertEquals(List.of("localhost=127.0.0.1", "localhost=0:0:0:0:0:0:0:1"), hosts(MxList.forHost(resolver, "localhost", all)));
        assertTrue(dns.questions.isEmpty());
    }

    @Test
    void serversMustBeAddresses() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Resolver.of(List.of("dns.example"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("is not an IP address"), e.getMessage());
    }
}

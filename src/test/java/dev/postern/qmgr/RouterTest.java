package dev.postern.qmgr;

import dev.postern.mail.MailAddress;
import dev.postern.mail.ReversePath;
import dev.postern.maps.AddressSearch;
import dev.postern.maps.LookupException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routing as Postfix's trivial-rewrite resolve.c and transport.c (postfix-3.12-20260821): address
 * classes, sender_dependent_relayhost_maps over relayhost, a transport's own :nexthop,
 * transport_maps over everything; Postern's .parent sender keys; lookup failures. Real hash tables.
 */
class RouterTest {
    @TempDir
    Path dir;

    private String hash(String name, String... lines) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return "hash:" + p;
    }

    private static final class S {
        String relayhost = "[isp.example]:25";
        String defaultTransport = "smtp";
        String relayTransport = "relay";
        List<String> transportMaps = List.of();
        List<String> senderMaps = List.of();
        List<String> senderTransportMaps = List.of();
        String nullTransportKey = "<>";
        String delimiter = "";
        List<String> parentList = AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT;
        boolean senderParents = true;
        List<String> virtualAliasDomains = List.of();

        Router router() {
            return new Router(new RouterSettings(relayhost, defaultTransport, relayTransport,
                    List.of("desktop.example", "localhost"), List.of("relayed.example"), transportMaps, senderMaps,
                    delimiter, parentList, "<>", senderParents, "desktop.example", senderTransportMaps, nullTransportKey,
                    virtualAliasDomains));
        }
    }

    private static Route route(Router r, String sender, String rcpt) throws LookupException {
        return r.route(ReversePath.parse(sender), MailAddress.parse(rcpt));
    }

    @Test
    void addressClassesAsBefore() throws Exception {
        S s = new S();
        assertEquals(new Route("local", "desktop.example", true), route(s.router(), "a@b.example", "me@desktop.example"));
        assertEquals(new Route("relay", "[isp.example]:25", false), route(s.router(), "a@b.example", "x@relayed.example"));
        assertEquals(new Route("relay", "[isp.example]:25", false), route(s.router(), "a@b.example", "x@sub.relayed.example"),
                "relay_domains is in parent_domain_matches_subdomains by default");
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(s.router(), "a@b.example", "x@far.example"));
        s.relayhost = "";
        assertEquals(new Route("smtp", "far.example", false), route(s.router(), "a@b.example", "x@Far.Example"),
                "no relayhost: the recipient domain (MX by the transport)");
        s.defaultTransport = "smtp:[gateway.example]:2525";
        assertEquals(new Route("smtp", "[gateway.example]:2525", false), route(s.router(), "a@b.example", "x@far.example"),
                "the transport's own :nexthop");
    }

    /**
     * sender_dependent_default_transport_maps as Postfix's resolve.c: only for the default class
     * (not local, not relay_domains), transport:nexthop like default_transport (its nexthop beats
     * the relayhosts), DUNNO falls back to default_transport, the null sender
     * by its own key, subdomains by Postern's .parent keys, and transport_maps still wins.
     */
    @Test
    void virtualAliasDomainsBounceWhatCleanupDidNotRewrite() throws Exception {
        S s = new S();
        s.virtualAliasDomains = List.of(hash("virtual", "virt.example  anything", "info@virt.example  me@far.example"));
        Route unknown = new Route("error", "5.1.1 User unknown in virtual alias table", false);
        assertEquals(unknown, route(s.router(), "a@b.example", "nobody@virt.example"), "a table key names the domain");
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(s.router(), "a@b.example", "x@sub.virt.example"),
                "whole names only, as Postfix's string_list: subdomains are not in it");
        s.virtualAliasDomains = List.of("!old.virt.example", "old.virt.example", "sub.virt.example", ".virt.example");
        assertEquals(unknown, route(s.router(), "a@b.example", "x@sub.virt.example"));
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(s.router(), "a@b.example", "x@old.virt.example"),
                "the first entry decides: !old.virt.example");
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(s.router(), "a@b.example", "x@deep.virt.example"),
                ".virt.example is a name, not a pattern");
        assertEquals(new Route("local", "desktop.example", true), route(s.router(), "a@b.example", "me@desktop.example"),
                "mydestination comes first");
        s.transportMaps = List.of(hash("transport", "*  smtp:[smarthost.example]"));
        assertEquals(unknown, route(s.router(), "a@b.example", "x@sub.virt.example"),
                "transport_maps never overrides the virtual alias class (resolve.c)");
        assertEquals(new Route("smtp", "[smarthost.example]", false), route(s.router(), "a@b.example", "x@deep.virt.example"));
    }

    @Test
    void senderDependentDefaultTransportInPostfixOrder() throws Exception {
        S s = new S();
        s.senderTransportMaps = List.of(hash("sddt",
                "@domain-a.example   isp:[submit.domain-a.example]:587",
                ".domain-a.example   isp:[submit.domain-a.example]:587",
                "@domain-b.example   isp",
                "@domain-c.example   DUNNO",
                "bounces   error:no bounces here"));
        s.nullTransportKey = "bounces";
        s.senderMaps = List.of(hash("sdr2", "@domain-b.example   [b-relay.example]:587"));
        Router r = s.router();
        assertEquals(new Route("isp", "[submit.domain-a.example]:587", false), route(r, "me@domain-a.example", "x@far.example"));
        assertEquals(new Route("isp", "[submit.domain-a.example]:587", false), route(r, "me@sub.domain-a.example", "x@far.example"),
                "a sender in a subdomain routes by the .parent key (postern_sender_parent_domain_matching)");
        assertEquals(new Route("isp", "[b-relay.example]:587", false), route(r, "me@domain-b.example", "x@far.example"),
                "a bare transport keeps the sender-dependent relayhost as next hop");
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(r, "me@domain-c.example", "x@far.example"), "DUNNO");
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(r, "me@elsewhere.example", "x@far.example"), "no match");
        assertEquals(new Route("error", "no bounces here", false), r.route(ReversePath.NULL, MailAddress.parse("x@far.example")),
                "the null sender by empty_address_default_transport_maps_lookup_key");
        assertEquals(new Route("relay", "[isp.example]:25", false), route(r, "me@domain-a.example", "x@relayed.example"),
                "relay_domains keep relay_transport");
        assertEquals(new Route("local", "desktop.example", true), route(r, "me@domain-a.example", "me@desktop.example"));
        s.transportMaps = List.of(hash("transport2", "far.example   smtp:[override.example]:25"));
        assertEquals(new Route("smtp", "[override.example]:25", false), s.router().route(ReversePath.parse("me@domain-a.example"),
                MailAddress.parse("x@far.example")), "transport_maps overrides it");
        assertTrue(r.decide(ReversePath.parse("me@domain-a.example"), MailAddress.parse("x@far.example")).explanation().stream()
                .anyMatch(l -> l.contains("sender_dependent_default_transport_maps") && l.contains("(overrides default_transport)")),
                r.decide(ReversePath.parse("me@domain-a.example"), MailAddress.parse("x@far.example")).explanation().toString());
        assertEquals(List.of(), r.unknownTransports(java.util.Set.of("smtp", "relay", "isp", "error", "retry", "local")));
        assertTrue(r.decide(ReversePath.parse("me@domain-a.example"), MailAddress.parse("x@relayed.example")).explanation()
                .contains("sender_dependent_default_transport_maps: not consulted (relay class: relay_transport applies)"));
        S odd = new S();
        odd.senderTransportMaps = List.of(hash("sddt-odd", "@x.example   :[somewhere.example]:25"));
        odd.transportMaps = List.of(hash("transport-odd", "y.example   DUNNO"));
        List<String> notes = odd.router().unknownTransports(java.util.Set.of("smtp", "relay", "error", "retry", "local"));
        assertTrue(notes.stream().anyMatch(w -> w.contains("sender_dependent_default_transport_maps entry @x.example")
                && w.contains("null transport is not allowed")), notes.toString());
        assertTrue(notes.stream().anyMatch(w -> w.contains("transport_maps entry y.example -> DUNNO: unknown transport \"DUNNO\"")),
                "transport(5) has no DUNNO: " + notes);
        assertThrows(LookupException.class, () -> odd.router().route(ReversePath.parse("me@x.example"), MailAddress.parse("a@far.example")),
                "a value without a transport defers, as Postfix's \"null transport is not allowed\"");
        assertTrue(r.unknownTransports(java.util.Set.of("smtp", "relay", "error", "retry", "local")).stream()
                .anyMatch(w -> w.contains("sender_dependent_default_transport_maps entry @domain-a.example")
                        && w.contains("unknown transport \"isp\"")), "a typo is named at check and start");
    }

    @Test
    void senderDependentRelayhostOverridesRelayhostInPostfixOrder() throws Exception {
        S s = new S();
        s.delimiter = "+";
        s.senderMaps = List.of(hash("sdr",
                "# sender should be submitted to",
                "@domain-a.example   [submit.domain-a.example]:587",
                "boss@domain-b.example   [boss-relay.example]:587",
                "boss+list@domain-b.example   [list-relay.example]:587",
                "@domain-c.example   DUNNO",
                "<>   [bounce-relay.example]:25"));
        Router r = s.router();
        assertEquals("[submit.domain-a.example]:587", route(r, "me@domain-a.example", "x@far.example").nexthop());
        assertEquals("[submit.domain-a.example]:587", route(r, "Me@DOMAIN-A.example", "x@far.example").nexthop(),
                "case-folded as postmap does");
        assertEquals("[boss-relay.example]:587", route(r, "boss+other@domain-b.example", "x@far.example").nexthop(),
                "user@domain after user+ext@domain misses");
        assertEquals("[list-relay.example]:587", route(r, "boss+list@domain-b.example", "x@far.example").nexthop());
        assertEquals("[isp.example]:25", route(r, "other@domain-b.example", "x@far.example").nexthop(),
                "no @domain-b entry: relayhost");
        assertEquals("[isp.example]:25", route(r, "a@domain-c.example", "x@far.example").nexthop(), "DUNNO: relayhost");
        assertEquals("[bounce-relay.example]:25", route(r, "", "x@far.example").nexthop(), "the null sender as <>");
        assertEquals(new Route("local", "desktop.example", true), route(r, "me@domain-a.example", "u@desktop.example"),
                "only off-host classes use sender relayhosts");
        assertEquals("[submit.domain-a.example]:587", route(r, "me@domain-a.example", "x@relayed.example").nexthop(),
                "the relay class uses them too");
        s.defaultTransport = "smtp:[pinned.example]";
        assertEquals("[pinned.example]", route(s.router(), "me@domain-a.example", "x@far.example").nexthop(),
                "default_transport's :nexthop wins over the sender relayhost, as in resolve.c");
    }

    @Test
    void parentDomainSenderKeysAfterThePostfixLookups() throws Exception {
        S s = new S();
        s.senderMaps = List.of(hash("sdr",
                "@example.com   [apex-only]:587",
                ".example.com   [every-subdomain]:587",
                ".x.example.com   [x-subdomains]:587",
                "someone@y.x.example.com   [someone]:587"));
        Router r = s.router();
        assertEquals("[apex-only]:587", route(r, "a@example.com", "r@far.example").nexthop(),
                "@example.com is the domain itself");
        assertEquals("[every-subdomain]:587", route(r, "a@x.example.com", "r@far.example").nexthop());
        assertEquals("[x-subdomains]:587", route(r, "b@y.x.example.com", "r@far.example").nexthop(),
                "most specific parent first");
        assertEquals("[someone]:587", route(r, "someone@y.x.example.com", "r@far.example").nexthop(),
                "Postfix's own lookups come first");
        assertEquals("[isp.example]:25", route(r, "a@example.org", "r@far.example").nexthop());
        Router.Decision d = r.decide(ReversePath.parse("b@y.x.example.com"), MailAddress.parse("r@far.example"));
        assertEquals(".x.example.com", d.senderMatch().orElseThrow().key());
        assertTrue(d.explanation().stream().anyMatch(l -> l.contains("sender_dependent_relayhost_maps hash:")
                && l.contains(": .x.example.com -> [x-subdomains]:587")), d.explanation().toString());

        s.senderParents = false;
        assertEquals("[isp.example]:25", route(s.router(), "a@x.example.com", "r@far.example").nexthop(),
                "postern_sender_parent_domain_matching = no: as Postfix, subdomains never match");
    }

    @Test
    void transportMapsOverrideEverythingWithPostfixSemantics() throws Exception {
        S s = new S();
        s.transportMaps = List.of(hash("transport",
                "pinned@far.example   smtp:[pinned-host]:2525",
                "hop-only.example     :[hop-only-host]",
                "transport-only.example   relay:",
                "noop.example         :",
                "gone.example         error:5.1.1 mailbox moved to gone.example",
                "bare-error.example   error:",
                "later.example        retry:4.4.1 try later",
                ".sub.example         smtp:[sub-host]",
                "desktop.example      smtp:[forwarded-local]"));
        s.senderMaps = List.of(hash("sdr", "@domain-a.example   [submit.domain-a.example]:587"));
        Router r = s.router();
        assertEquals(new Route("smtp", "[pinned-host]:2525", false), route(r, "me@domain-a.example", "pinned@far.example"),
                "transport_maps wins over the sender relayhost");
        assertEquals(new Route("smtp", "[submit.domain-a.example]:587", false),
                route(r, "me@domain-a.example", "other@far.example"), "no transport entry: the sender relayhost");
        assertEquals(new Route("smtp", "[hop-only-host]", false), route(r, "a@b.example", "x@hop-only.example"),
                ":nexthop keeps the class's transport");
        assertEquals(new Route("relay", "transport-only.example", false), route(r, "a@b.example", "x@transport-only.example"),
                "transport: resets the next hop to the recipient domain, over relayhost (transport(5))");
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(r, "a@b.example", "x@noop.example"),
                "':' changes nothing");
        assertEquals(new Route("error", "5.1.1 mailbox moved to gone.example", false),
                route(r, "a@b.example", "x@gone.example"));
        assertEquals(new Route("error", "Address is undeliverable", false), route(r, "a@b.example", "x@bare-error.example"));
        assertEquals(new Route("retry", "4.4.1 try later", false), route(r, "a@b.example", "x@later.example"));
        assertEquals(new Route("smtp", "[sub-host]", false), route(r, "a@b.example", "x@deep.sub.example"));
        assertEquals(new Route("smtp", "[isp.example]:25", false), route(r, "a@b.example", "x@sub.example"),
                ".sub.example is subdomains only (transport_maps is not in parent_domain_matches_subdomains)");
        assertEquals(new Route("smtp", "[forwarded-local]", false), route(r, "a@b.example", "me@desktop.example"),
                "transport_maps applies to the local class too");

        s.transportMaps = List.of(hash("wild", "special.example  smtp:[special]", "*  relay:[everything-else]:25"));
        assertEquals(new Route("relay", "[everything-else]:25", false), route(s.router(), "a@b.example", "x@far.example"));
        assertEquals(new Route("smtp", "[special]", false), route(s.router(), "a@b.example", "x@special.example"));
    }

    @Test
    void regexpSenderMapsMatchTheWholeAddressOnly() throws Exception {
        // the reference's workaround for subdomains in plain Postfix
        Path re = dir.resolve("sdr.regexp");
        java.nio.file.Files.writeString(re, "/@(.+\\.)?example\\.com$/ [relay.example.com]:587\n");
        S s = new S();
        s.senderMaps = List.of("regexp:" + re);
        assertEquals("[relay.example.com]:587", route(s.router(), "a@b.c.example.com", "x@far.example").nexthop());
        assertEquals("[relay.example.com]:587", route(s.router(), "a@example.com", "x@far.example").nexthop());
        assertEquals("[isp.example]:25", route(s.router(), "a@example.org", "x@far.example").nexthop());
    }

    @Test
    void aTableThatCannotAnswerNeverRoutesElsewhere() throws Exception {
        S s = new S();
        s.senderMaps = List.of("hash:" + dir.resolve("missing-sdr"));
        LookupException e = assertThrows(LookupException.class, () -> route(s.router(), "me@domain-a.example", "x@far.example"));
        assertEquals("sender_dependent_relayhost_maps", e.parameter());
        assertEquals(new Route("retry", "4.3.0 address resolver failure (sender_dependent_relayhost_maps lookup failure)",
                false), Route.resolverFailure(e));
        S t = new S();
        t.transportMaps = List.of("hash:" + dir.resolve("missing-transport"));
        assertEquals("transport_maps", assertThrows(LookupException.class,
                () -> route(t.router(), "me@domain-a.example", "x@far.example")).parameter());
        assertFalse(new S().router().decide(ReversePath.NULL, MailAddress.parse("x@far.example")).route().local());
    }

    @Test
    void unknownTransportsAreReportedBeforeAnyMailNeedsThem() throws Exception {
        S s = new S();
        s.transportMaps = List.of(hash("transport", "ok.example smtp:[h]", "typo.example smpt:[h]", "noop.example :[h]"));
        s.relayTransport = "rleay";
        List<String> w = s.router().unknownTransports(java.util.Set.of("smtp", "relay", "error", "retry", "local"));
        assertEquals(2, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("relay_transport = rleay: unknown transport \"rleay\"; known: error, local, relay, retry, smtp"),
                w.get(0));
        assertEquals(dir.resolve("transport") + ":2: transport_maps entry typo.example -> smpt:[h]: unknown transport "
                + "\"smpt\" (its mail would be deferred); known: error, local, relay, retry, smtp", w.get(1));
    }

    @Test
    void aBadTableSpecIsAStartupErrorNamingTheParameter() throws Exception {
        S s = new S();
        s.transportMaps = List.of("nosuchtype:/x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, s::router);
        assertTrue(e.getMessage().startsWith("transport_maps: unsupported table type \"nosuchtype\""), e.getMessage());
        Path re = dir.resolve("sdr.regexp");
        java.nio.file.Files.writeString(re, "/@(.+\\.)?example\\.com$/ [relay.example.com]:587\n/^(.*)@x$/ [$1]:25\n");
        S t = new S();
        t.senderMaps = List.of("regexp:" + re);
        e = assertThrows(IllegalArgumentException.class, t::router);
        assertEquals("sender_dependent_relayhost_maps: regexp:" + re + ", line 2: regular expression substitution ($n) is "
                + "not allowed in sender_dependent_relayhost_maps (Postfix skips this rule); write the value out in full",
                e.getMessage());
    }

    /** qmgr_message_resolve(): the filter replaces the route; its next hop, else default_filter_nexthop, else the domain. */
    @Test
    void aContentFilterOverridesTheRouteAsPostfixsQmgr() {
        MailAddress rcpt = MailAddress.parse("User@Dest.Example");
        assertEquals(new Route("smtp-amavis", "[127.0.0.1]:10024", false),
                Route.contentFilter("smtp-amavis:[127.0.0.1]:10024", rcpt, "ignored.example"));
        assertEquals(new Route("scan", "dest.example", false), Route.contentFilter("scan", rcpt, ""));
        assertEquals(new Route("scan", "dest.example", false), Route.contentFilter("scan:", rcpt, ""));
        assertEquals(new Route("scan", "mx.my.example", false), Route.contentFilter("scan:", rcpt, "mx.my.example"));
        assertEquals(new Route("error", "5.7.1 no thanks", false), Route.contentFilter("error:5.7.1 no thanks", rcpt, ""));
        assertTrue(Route.contentFilter("local:", rcpt, "").local(), "no local delivery agent: deferred as local mail");
    }
}

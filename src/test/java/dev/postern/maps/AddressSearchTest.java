package dev.postern.maps;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Address-form search orders, checked against Postfix's mail_addr_find.c (mail_addr_find_opt,
 * find_local), strip_addr.c/split_addr.c, smtpd_check.c (check_mail_access, check_domain_access,
 * check_addr_access), trivial-rewrite/transport.c and maps.c, postfix-3.12-20260821; with real
 * table files (hash tables are read from their postmap source).
 */
class AddressSearchTest {
    @TempDir
    Path dir;

    private static final AddressSearch PLUS = new AddressSearch("+", d -> d.equals("local.example"));
    private static final AddressSearch NONE = new AddressSearch("", d -> false);

    private TableList tables(String parameter, String... specsAndTexts) throws Exception {
        List<String> specs = new java.util.ArrayList<>();
        for (int i = 0; i < specsAndTexts.length; i += 2) {
            String type = specsAndTexts[i];
            Path p = dir.resolve(parameter + i);
            Files.writeString(p, specsAndTexts[i + 1], StandardCharsets.UTF_8);
            specs.add(type + ":" + p);
        }
        return TableList.open(parameter, specs);
    }

    private static List<String> texts(List<AddressSearch.Key> keys) {
        return keys.stream().map(k -> k.text() + (k.partial() ? "" : " (full)")).toList();
    }

    private static String value(Optional<TableList.Match> m) {
        return m.map(TableList.Match::value).orElse(null);
    }

    @Test
    void accessOrderWithParentStyleAndDelimiter() {
        // check_mail_access(): FULL | NOEXT | DOMAIN | PDMS | LOCALPART_AT
        assertEquals(List.of("User+Ext@Sub.Example.com (full)", "User@Sub.Example.com", "Sub.Example.com",
                        "Example.com", "com", "User+Ext@", "User@"),
                texts(PLUS.keys("User+Ext@Sub.Example.com", AddressSearch.access(true))));
    }

    @Test
    void accessOrderWithExplicitDotDomains() {
        // smtpd_access_maps removed from parent_domain_matches_subdomains: PDDMDS
        assertEquals(List.of("u@sub.example.com (full)", "sub.example.com", ".example.com", ".com", "u@"),
                texts(NONE.keys("u@sub.example.com", AddressSearch.access(false))));
    }

    @Test
    void transportOrderHasNoUserAtAndNoAtDomain() {
        assertEquals(List.of("a+b@x.example.com (full)", "a@x.example.com", "x.example.com", ".example.com", ".com"),
                texts(PLUS.keys("a+b@x.example.com", AddressSearch.transport(false))));
        assertEquals(List.of("a@x.example.com (full)", "x.example.com", "example.com", "com"),
                texts(PLUS.keys("a@x.example.com", AddressSearch.transport(true))));
    }

    @Test
    void defaultOrderForSenderDependentRelayhost() {
        // MA_FIND_DEFAULT: full, without extension, local part if local, @domain; no bare domain, no parents
        assertEquals(List.of("a+b@remote.example (full)", "a@remote.example", "@remote.example"),
                texts(PLUS.keys("a+b@remote.example", AddressSearch.DEFAULT)));
        assertEquals(List.of("a+b@local.example (full)", "a@local.example", "a+b", "a", "@local.example"),
                texts(PLUS.keys("a+b@local.example", AddressSearch.DEFAULT)));
        assertEquals(List.of("<> (full)"), texts(PLUS.keys("<>", AddressSearch.DEFAULT)), "the null sender key alone");
        assertEquals(List.of(".x.example.com", ".example.com", ".com"),
                texts(AddressSearch.dotParentKeys("b@y.x.example.com")), "Postern's sender parent keys, not y.x itself");
    }

    @Test
    void extensionsAreSplitAsPostfixDoes() {
        AddressSearch dash = new AddressSearch("+-", d -> false);
        assertEquals("user@x", dash.stripExtension("user-foo@x"), "any delimiter character splits");
        assertEquals("user@x", dash.stripExtension("user+a-b@x"), "at the first one");
        assertNull(dash.stripExtension("owner-list@x"), "owner- is special when '-' is a delimiter");
        assertNull(dash.stripExtension("list-request@x"));
        assertNull(dash.stripExtension("MAILER-DAEMON@x"), "mailer-daemon is never split, whatever the delimiter");
        assertNull(dash.stripExtension("double-bounce@x"));
        assertEquals("postmaster@x", PLUS.stripExtension("postmaster+x@x"), "only the exact name is special");
        assertNull(PLUS.stripExtension("+foo@x"), "no empty local part");
        assertNull(PLUS.stripExtension("plain@x"));
        assertNull(NONE.stripExtension("a+b@x"), "recipient_delimiter empty (the default): no extensions");
    }

    @Test
    void clientNameAndAddressOrders() {
        assertEquals(List.of("mail.example.com (full)", "example.com", "com"),
                texts(AddressSearch.hostNameKeys("mail.example.com", true)));
        assertEquals(List.of("mail.example.com (full)", ".example.com", ".com"),
                texts(AddressSearch.hostNameKeys("mail.example.com", false)));
        assertEquals(List.of("192.0.2.7 (full)"), texts(AddressSearch.hostNameKeys("192.0.2.7", true)),
                "no subdomain magic for numeric names");
        assertEquals(List.of("192.0.2.7 (full)", "192.0.2", "192.0", "192"),
                texts(AddressSearch.hostAddressKeys("192.0.2.7")));
        assertEquals(List.of("2001:db8::1 (full)", "2001:db8:", "2001:db8", "2001"),
                texts(AddressSearch.hostAddressKeys("2001:db8::1")), "split_at_right(addr, ':') as Postfix");
    }

    @Test
    void eachKeyIsAskedOfEveryTableBeforeTheNextKey() throws Exception {
        TableList t = tables("check_sender_access",
                "hash", "example.com DOMAIN-IN-FIRST\n",
                "hash", "u@sub.example.com ADDRESS-IN-SECOND\n");
        assertEquals("ADDRESS-IN-SECOND", value(PLUS.find(t, "u@sub.example.com", AddressSearch.access(true))));
        assertEquals("DOMAIN-IN-FIRST", value(PLUS.find(t, "v@sub.example.com", AddressSearch.access(true))),
                "a parent domain matches a subdomain under the default parent_domain_matches_subdomains");
        assertNull(value(PLUS.find(t, "v@sub.example.com", AddressSearch.access(false))),
                "without it, example.com is only example.com");
        Optional<TableList.Match> m = PLUS.find(t, "v@sub.example.com", AddressSearch.access(true));
        assertEquals("example.com", m.get().key());
        assertEquals("check_sender_access", m.get().parameter());
        assertTrue(m.get().table().startsWith("hash:"));
    }

    @Test
    void keysAreCaseFoldedInFixedTablesAndTheMostSpecificWins() throws Exception {
        TableList t = tables("transport_maps", "hash", String.join("\n",
                "# the seed's style, mixed case",
                "User@Example.COM   smtp:[user-host]",
                "example.com        smtp:[domain-host]",
                ".example.com       smtp:[sub-host]",
                "user@              smtp:[never-for-transport]",
                ""));
        Set<AddressSearch.Find> how = AddressSearch.transport(false);
        assertEquals("smtp:[user-host]", value(PLUS.find(t, "user+tag@EXAMPLE.com", how)));
        assertEquals("smtp:[domain-host]", value(PLUS.find(t, "other@example.com", how)));
        assertEquals("smtp:[sub-host]", value(PLUS.find(t, "user@deep.sub.example.com", how)));
        assertNull(value(PLUS.find(t, "user@example.org", how)));
    }

    @Test
    void regexpTablesAreOnlyAskedAboutTheWholeAddress() throws Exception {
        TableList t = tables("check_recipient_access", "regexp", String.join("\n",
                "/^sub\\.blocked\\.example$/ REJECT domain-only",
                "/^user@$/ REJECT user-at-only",
                "/@(.+\\.)?whole\\.example$/ REJECT whole",
                ""));
        Set<AddressSearch.Find> how = AddressSearch.access(true);
        assertNull(value(PLUS.find(t, "a@sub.blocked.example", how)), "partial keys never reach a regexp table");
        assertNull(value(PLUS.find(t, "user@elsewhere.example", how)));
        assertEquals("REJECT whole", value(PLUS.find(t, "x@y.whole.example", how)));
    }

    @Test
    void aTableThatCannotAnswerStopsTheSearch() throws Exception {
        Path missing = dir.resolve("not-there");
        Path second = dir.resolve("second");
        Files.writeString(second, "@example.com [fallback]:25\n");
        TableList t = TableList.open("sender_dependent_relayhost_maps", List.of("hash:" + missing, "hash:" + second));
        LookupException e = assertThrows(LookupException.class,
                () -> PLUS.find(t, "a@example.com", AddressSearch.DEFAULT));
        assertEquals("sender_dependent_relayhost_maps", e.parameter());
        assertTrue(e.getMessage().startsWith("sender_dependent_relayhost_maps lookup failure: "), e.getMessage());
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void anEmptyResultIsAnErrorNotAMatch() {
        TableList t = TableList.of("sender_dependent_relayhost_maps", List.of(Maps.open("inline:{ @example.com= }")));
        LookupException e = assertThrows(LookupException.class, () -> PLUS.find(t, "a@example.com", AddressSearch.DEFAULT));
        assertTrue(e.getMessage().startsWith("sender_dependent_relayhost_maps lookup of @example.com returns an empty"),
                e.getMessage());
    }

    @Test
    void parentStyleFollowsTheParameterList() {
        assertTrue(AddressSearch.parentMatchesSubdomains(AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT,
                "smtpd_access_maps"));
        assertTrue(!AddressSearch.parentMatchesSubdomains(AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT,
                "transport_maps"), "Postfix's default does not list transport_maps");
        assertTrue(AddressSearch.parentMatchesSubdomains(List.of("Transport_Maps"), "transport_maps"));
    }
}

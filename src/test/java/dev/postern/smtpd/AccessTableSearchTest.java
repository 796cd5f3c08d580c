package dev.postern.smtpd;

import dev.postern.maps.AddressSearch;
import dev.postern.mail.Reply;
import dev.postern.tls.PeerCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * check_*_access searched as Postfix's smtpd_check.c does (check_mail_access with
 * mail_addr_find_strategy, check_namadr_access, check_domain_access, check_addr_access): address
 * forms, parent domains per parent_domain_matches_subdomains, recipient_delimiter, address prefixes.
 * Real hash tables (postmap source files) in a temp dir.
 */
class AccessTableSearchTest {
    @TempDir
    Path dir;

    private String table(String text) throws Exception {
        Path p = dir.resolve("access" + text.hashCode());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return "hash:" + p;
    }

    private static Restrictions compile(List<String> sender, List<String> client, String delimiter,
                                        List<String> parentDomainMatchesSubdomains) {
        return Restrictions.compile(new RestrictionSettings(client, List.of(), sender, List.of("permit"), List.of(),
                List.of(), List.of("127.0.0.0/8"), "host", List.of("local.example"), List.of(), "", "sha256", true,
                delimiter, parentDomainMatchesSubdomains, "local.example"));
    }

    private static String check(Restrictions r, String clientName, String clientAddr, String sender) throws Exception {
        Reply reply = r.checkRecipient(new CheckContext(InetAddress.getByName(clientAddr), clientName, "helo.example",
                false, PeerCertificate.NONE, sender, "rcpt@remote.example"));
        return reply == null ? "accepted" : reply.oneLine();
    }

    @Test
    void subdomainSenderMatchesAParentEntryUnderPostfixDefault() throws Exception {
        String t = table("blocked.example REJECT\n");
        Restrictions r = compile(List.of("check_sender_access", t), List.of(), "",
                AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT);
        assertEquals("554 5.7.1 <x@sub.blocked.example>: Sender address rejected: Access denied",
                check(r, "unknown", "192.0.2.1", "x@sub.blocked.example"));
        assertEquals("554 5.7.1 <x@blocked.example>: Sender address rejected: Access denied",
                check(r, "unknown", "192.0.2.1", "x@blocked.example"));
        assertEquals("accepted", check(r, "unknown", "192.0.2.1", "x@notblocked.example"));
    }

    @Test
    void withoutSmtpdAccessMapsInTheListOnlyDotKeysMatchSubdomains() throws Exception {
        String t = table("blocked.example REJECT\n.dotted.example REJECT dotted\n");
        Restrictions r = compile(List.of("check_sender_access", t), List.of(), "", List.of("relay_domains"));
        assertEquals("accepted", check(r, "unknown", "192.0.2.1", "x@sub.blocked.example"));
        assertEquals("554 5.7.1 <x@blocked.example>: Sender address rejected: Access denied",
                check(r, "unknown", "192.0.2.1", "x@blocked.example"));
        assertEquals("554 5.7.1 <x@a.b.dotted.example>: Sender address rejected: dotted",
                check(r, "unknown", "192.0.2.1", "x@a.b.dotted.example"));
    }

    @Test
    void addressFormsUserAtAndExtensionsAndTheNullSender() throws Exception {
        String t = table(String.join("\n",
                "joe@example.com 550 5.7.1 joe",
                "abuse@ 550 5.7.1 any abuse",
                "<> 550 5.7.1 no bounces here",
                "example.com OK", ""));
        Restrictions plus = compile(List.of("check_sender_access", t, "reject"), List.of(), "+",
                AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT);
        assertEquals("550 5.7.1 <joe+tag@example.com>: Sender address rejected: joe",
                check(plus, "unknown", "192.0.2.1", "joe+tag@example.com"));
        assertEquals("550 5.7.1 <abuse@elsewhere.example>: Sender address rejected: any abuse",
                check(plus, "unknown", "192.0.2.1", "abuse@elsewhere.example"));
        assertEquals("550 5.7.1 <>: Sender address rejected: no bounces here", check(plus, "unknown", "192.0.2.1", ""));
        assertEquals("accepted", check(plus, "unknown", "192.0.2.1", "ann@example.com"), "the domain's OK");
        Restrictions noDelimiter = compile(List.of("check_sender_access", t, "reject"), List.of(), "",
                AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT);
        assertEquals("accepted", check(noDelimiter, "unknown", "192.0.2.1", "joe+tag@example.com"),
                "without recipient_delimiter joe+tag is another user, and example.com is OK");
    }

    @Test
    void heloNameParents() throws Exception {
        String t = table("example REJECT no helo from .example\n");
        Restrictions r = Restrictions.compile(new RestrictionSettings(List.of(), List.of("check_helo_access", t),
                List.of(), List.of("permit"), List.of(), List.of(), List.of("127.0.0.0/8"), "host", List.of(), List.of(),
                "", "sha256", true, "", AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT, ""));
        assertEquals("554 5.7.1 <helo.example>: Helo command rejected: no helo from .example",
                check(r, "unknown", "192.0.2.1", "s@x.example"), "the check context's HELO is helo.example");
    }

    @Test
    void clientHostNameParentsThenAddressPrefixes() throws Exception {
        String t = table(String.join("\n",
                "client.example REJECT by name",
                "198.51.100 REJECT by network",
                "2001:db8 REJECT by v6 prefix", ""));
        Restrictions r = compile(List.of(), List.of("check_client_access", t), "",
                AddressSearch.PARENT_DOMAIN_MATCHES_SUBDOMAINS_DEFAULT);
        assertEquals("554 5.7.1 <mail.client.example[192.0.2.9]>: Client host rejected: by name",
                check(r, "mail.client.example", "192.0.2.9", "s@x.example"));
        assertEquals("554 5.7.1 <unknown[198.51.100.20]>: Client host rejected: by network",
                check(r, "unknown", "198.51.100.20", "s@x.example"));
        assertEquals("554 5.7.1 <unknown[2001:db8::5]>: Client host rejected: by v6 prefix",
                check(r, "unknown", "2001:db8::5", "s@x.example"));
        assertEquals("accepted", check(r, "unknown", "203.0.113.1", "s@x.example"));
    }
}

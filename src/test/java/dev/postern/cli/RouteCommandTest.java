package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern route}: the seed's client-side routing explained without sending. */
class RouteCommandTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    private void seedClientConfig() throws Exception {
        Files.writeString(dir.resolve("sender_dependent_relayhost"), String.join("\n",
                "# Regenerate using:",
                "#   postmap hash:sender_dependent_relayhost < sender_dependent_relayhost",
                "",
                "# sender should be submitted to",
                "@domain-a.example\t[submit.domain-a.example]:587",
                ".domain-a.example\t[submit.domain-a.example]:587", ""));
        Files.writeString(dir.resolve("smtp_tls_policy"), "[submit.domain-a.example]:587\tsecure\n");
        Files.writeString(dir.resolve("transport"), "urgent@far.example  smtp:[direct.far.example]:25\n");
        Files.writeString(dir.resolve("main.cf"), String.join("\n",
                "# Smart-host via the ISP...",
                "relayhost = [smtp.isp.example]",
                "",
                "# ...except for certain senders, who we relay through other boxes.",
                "sender_dependent_relayhost_maps = hash:" + dir.resolve("sender_dependent_relayhost"),
                "transport_maps = hash:" + dir.resolve("transport"),
                "smtp_tls_policy_maps = hash:" + dir.resolve("smtp_tls_policy"),
                "mynetworks = 127.0.0.0/8",
                "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
                "queue_directory = " + dir.resolve("queue"), ""));
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n");
    }

    /** The seed's TLS policy and an ISP smarthost with SMTP AUTH: route says what applies, never the password. */
    @Test
    void explainsTlsPolicyAndSmtpAuthWithoutTheSecret() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("smtp_tls_policy"), "[submit.domain-a.example]:587\tsecure\n");
        Path sasl = dir.resolve("sasl_passwd");
        Files.writeString(sasl, "[smtp.isp.example] alice@isp.example:s3cret-Pa55\n");
        Files.setPosixFilePermissions(sasl, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                + "smtp_tls_policy_maps = hash:" + dir.resolve("smtp_tls_policy") + "\n"
                + "smtp_sasl_auth_enable = yes\n"
                + "smtp_sasl_tls_security_options = noanonymous\n"
                + "smtp_sasl_password_maps = hash:" + sasl + "\n");
        Run own = run("route", "-c", dir.toString(), "--sender", "me@domain-a.example", "--recipient", "friend@far.example");
        assertEquals(0, own.status(), own.err());
        assertTrue(own.out().contains("TLS: secure (smtp_tls_policy_maps hash:" + dir.resolve("smtp_tls_policy")
                + " key [submit.domain-a.example]:587)"), own.out());
        assertTrue(own.out().contains("SASL: no"), own.out());
        Run isp = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "friend@far.example");
        assertEquals(0, isp.status(), isp.err());
        assertTrue(isp.out().contains("SASL: yes, username alice@isp.example"), isp.out());
        assertTrue(isp.out().contains("warning: SMTP AUTH is configured for this next hop only over TLS"), isp.out());
        assertTrue(!isp.out().contains("s3cret") && !own.out().contains("s3cret"), "the password must never be shown");
    }

    /** content_filter: which way in stores which filter, and where this recipient's mail then goes first. */
    @Test
    void namesTheContentFilterOfEachWayIn() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                + "content_filter = smtp-amavis:[127.0.0.1]:10024\n");
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n"
                + "127.0.0.1:10025 inet n - n - - smtpd -o content_filter=\n"
                + "smtp-amavis unix - - n - - smtp\n");
        Run r = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "friend@far.example");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("transport: smtp\nnext hop: [smtp.isp.example] (no MX lookup)\n"), r.out());
        assertTrue(r.out().contains("content_filter = smtp-amavis:[127.0.0.1]:10024 for mail queued by pickup (sendmail), "
                + "smtpd 25 (master.cf:1): to transport smtp-amavis, next hop [127.0.0.1]:10024 instead (the filter's "
                + "re-injected copy is routed as above)\n"), r.out());
        assertTrue(r.out().contains("no content filter for mail queued by smtpd 127.0.0.1:10025 (master.cf:2): routed as above\n"),
                r.out());
        seedClientConfig(); // no content_filter anywhere: not a word about it
        Run none = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "friend@far.example");
        assertTrue(!none.out().contains("content filter") && !none.out().contains("content_filter"), none.out());
    }

    /** A filter only on master.cf's pickup line: route says local submissions go to it, SMTP mail not. */
    @Test
    void namesThePickupLinesContentFilter() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n"
                + "pickup unix n - y 60 1 pickup -o content_filter=smtp-amavis:[127.0.0.1]:10024\n"
                + "smtp-amavis unix - - n - - smtp\n");
        Run r = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "friend@far.example");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("content_filter = smtp-amavis:[127.0.0.1]:10024 for mail queued by pickup (sendmail)"
                + " (master.cf:2): to transport smtp-amavis"), r.out());
        assertTrue(r.out().contains("no content filter for mail queued by smtpd 25 (master.cf:1): routed as above\n"), r.out());
    }

    @Test
    void explainsTheSenderDependentRoute() throws Exception {
        seedClientConfig();
        Run r = run("route", "-c", dir.toString(), "--sender", "me@domain-a.example", "--recipient", "friend@far.example");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("sender_dependent_relayhost_maps hash:" + dir.resolve("sender_dependent_relayhost")
                + ": @domain-a.example -> [submit.domain-a.example]:587"), r.out());
        assertTrue(r.out().contains("transport: smtp\n"), r.out());
        assertTrue(r.out().contains("next hop: [submit.domain-a.example]:587 (no MX lookup)"), r.out());
        assertTrue(r.out().contains("TLS: secure (smtp_tls_policy_maps"), r.out());
    }

    @Test
    void explainsTheSubdomainKeyTheRelayhostAndTransportMaps() throws Exception {
        seedClientConfig();
        Run sub = run("route", "-c", dir.toString(), "--sender", "<x@sub.domain-a.example>", "--recipient",
                "friend@far.example");
        assertTrue(sub.out().contains(": .domain-a.example -> [submit.domain-a.example]:587"), sub.out());
        Run other = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "friend@far.example");
        assertTrue(other.out().contains("sender_dependent_relayhost_maps: no match for <me@old.example>; tried "
                + "me@old.example, @old.example, .example"), other.out());
        assertTrue(other.out().contains("relayhost = [smtp.isp.example]"), other.out());
        assertTrue(other.out().contains("next hop: [smtp.isp.example] (no MX lookup)"), other.out());
        Run urgent = run("route", "-c", dir.toString(), "--sender", "me@domain-a.example", "--recipient",
                "urgent@far.example");
        assertTrue(urgent.out().contains("transport_maps hash:" + dir.resolve("transport")
                + ": urgent@far.example -> smtp:[direct.far.example]:25"), urgent.out());
        assertTrue(urgent.out().contains("next hop: [direct.far.example]:25"), urgent.out());
    }

    @Test
    void aMissingTableIsExplainedAsADeferral() throws Exception {
        seedClientConfig();
        Files.delete(dir.resolve("transport"));
        Run r = run("route", "-c", dir.toString(), "--sender", "", "--recipient", "friend@far.example");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("transport_maps lookup failure: hash:"), r.out());
        assertTrue(r.out().contains("action: defer (4.3.0 address resolver failure (transport_maps lookup failure))"),
                r.out());
    }

    /** A master.cf transport of your own: route names it, its next hop and the TLS level its -o gives. */
    @Test
    void explainsAMasterCfTransportAndItsNextHop() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("transport"), "urgent@far.example  isp:[direct.far.example]:25\n"
                + "isp.example  isp:\nghost.example  nowhere:\n");
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n"
                + "isp       unix  -       -       n       -       -       smtp\n"
                + "    -o smtp_tls_security_level=encrypt\n"
                + "    -o smtp_helo_name=desktop.example\n"
                + "    -o syslog_name=postfix/isp\n");
        Run r = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "urgent@far.example");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("transport: isp\nnext hop: [direct.far.example]:25 (no MX lookup)\n"), r.out());
        assertTrue(r.out().contains("transport isp (master.cf:2): Postern's SMTP client with -o smtp_tls_security_level=encrypt"
                + " -o smtp_helo_name=desktop.example -o syslog_name=postfix/isp; logs as postfix/isp/smtp"), r.out());
        assertTrue(r.out().contains("TLS: encrypt (smtp_tls_security_level"), r.out());
        Run domain = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "a@isp.example");
        assertTrue(domain.out().contains("transport: isp\nnext hop: isp.example (MX lookup)"), domain.out());
        Run ghost = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "a@ghost.example");
        assertEquals(0, ghost.status(), ghost.err());
        assertTrue(ghost.out().contains("transport: nowhere\n"), ghost.out());
        assertTrue(ghost.out().contains("no delivery agent serves transport nowhere (no master.cf line \"nowhere unix - - n - - smtp\"):"
                + " its mail would be deferred (mail transport unavailable)"), ghost.out());
    }

    /** The built-in transports' lines: relay's -o apply to mail routed to relay, smtp without -o stays main.cf's. */
    @Test
    void explainsTheRelayLinesOptions() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("transport"), "partner.example  relay:[mx.partner.example]\n");
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n"
                + "smtp      unix  -       -       y       -       -       smtp\n"
                + "relay     unix  -       -       y       -       -       smtp\n"
                + "    -o syslog_name=postfix/$service_name -o smtp_tls_security_level=encrypt\n");
        Run r = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "a@partner.example");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("transport: relay\nnext hop: [mx.partner.example] (no MX lookup)\n"
                + "transport relay (master.cf:3): Postern's SMTP client with -o syslog_name=postfix/$service_name"
                + " -o smtp_tls_security_level=encrypt; logs as postfix/relay/smtp\nTLS: encrypt"), r.out());
        Run smtp = run("route", "-c", dir.toString(), "--sender", "me@old.example", "--recipient", "a@far.example");
        assertEquals(0, smtp.status(), smtp.err());
        assertTrue(smtp.out().contains("transport: smtp\n") && !smtp.out().contains("master.cf"), smtp.out());
        assertTrue(!smtp.out().contains("TLS: encrypt"), smtp.out());
    }

    @Test
    void aBadAddressIsAUsageError() throws Exception {
        seedClientConfig();
        Run r = run("route", "-c", dir.toString(), "--sender", "me@domain-a.example", "--recipient", "no-domain");
        assertEquals(64, r.status());
        assertEquals("postern route: bad recipient address \"no-domain\": address needs local-part@domain\n", r.err());
        assertEquals("", r.out());
    }

    /** Address rewriting first: a sender canonical map moves the sender to the seed's domain, root expands to two people. */
    @Test
    void rewritesTheAddressesBeforeRoutingThem() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("virtual"), "root  me@domain-a.example, backup@far.example\n");
        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf"))
                + "myorigin = desk.lan\n"
                + "virtual_alias_maps = hash:" + dir.resolve("virtual") + "\n"
                + "sender_canonical_maps = inline:{ me@desk.lan = me@domain-a.example }\n");
        Run r = run("route", "-c", dir.toString(), "--sender", "me@desk.lan", "--recipient", "root@desk.lan");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("sender: <me@desk.lan>\n"
                + "  address rewriting (canonical maps, masquerade_domains): sender <me@domain-a.example>\n"
                + "  address rewriting: <root@desk.lan> -> <me@domain-a.example>, <backup@far.example> (virtual_alias_maps)\n"
                + "recipient: <me@domain-a.example>\n"), r.out());
        // routed by the rewritten sender: the seed's submission server for domain-a.example
        assertTrue(r.out().contains("recipient: <backup@far.example>\n"), r.out());
        assertTrue(r.out().contains("next hop: [submit.domain-a.example]:587 (no MX lookup)"), r.out());
    }

    /** A master.cf "cleanup" line's -o rewriting is what all mail through the default cleanup service gets: route shows it. */
    @Test
    void rewritesWithTheDefaultCleanupLinesOwnTables() throws Exception {
        seedClientConfig();
        Files.writeString(dir.resolve("virtual"), "root  me@domain-a.example\n");
        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")) + "myorigin = desk.lan\n");
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n"
                + "cleanup unix n - n - 0 cleanup -o virtual_alias_maps=hash:" + dir.resolve("virtual") + "\n");
        Run r = run("route", "-c", dir.toString(), "--sender", "me@desk.lan", "--recipient", "root@desk.lan");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("  address rewriting: <root@desk.lan> -> <me@domain-a.example> (virtual_alias_maps)\n"),
                r.out());

        // another cleanup service's, by name: a submission line's -o cleanup_service_name
        Files.writeString(dir.resolve("sub_canonical"), "me@desk.lan  me@domain-a.example\n");
        Files.writeString(dir.resolve("master.cf"), "25 inet n - n - - smtpd\n"
                + "587 inet n - n - - smtpd -o cleanup_service_name=subcleanup\n"
                + "subcleanup unix n - n - 0 cleanup -o sender_canonical_maps=hash:" + dir.resolve("sub_canonical") + "\n");
        Run sub = run("route", "-c", dir.toString(), "--cleanup-service", "subcleanup", "--sender", "me@desk.lan",
                "--recipient", "root@desk.lan");
        assertEquals(0, sub.status(), sub.err());
        assertTrue(sub.out().contains("  address rewriting (canonical maps, masquerade_domains): sender <me@domain-a.example>\n")
                && !sub.out().contains("virtual_alias_maps"), sub.out());
        Run plain = run("route", "-c", dir.toString(), "--sender", "me@desk.lan", "--recipient", "root@desk.lan");
        assertFalse(plain.out().contains("address rewriting"), "the default service has no rewriting now: " + plain.out());
        Run none = run("route", "-c", dir.toString(), "--cleanup-service", "nosuch", "--sender", "me@desk.lan",
                "--recipient", "root@desk.lan");
        assertEquals(64, none.status());
        assertTrue(none.err().startsWith("postern route: no cleanup service nosuch: "), none.err());
    }
}

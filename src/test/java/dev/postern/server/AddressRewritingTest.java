package dev.postern.server;

import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * canonical_maps, masquerade_domains and virtual_alias_maps on the envelope, end to end: the real
 * server on loopback, what the next hop receives (MAIL FROM, RCPT TO, ORCPT), the mail log, a
 * table that cannot answer, and receive_override_options = no_address_mappings on one service.
 */
class AddressRewritingTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Server start(RecordingSink sink, String virtualAliasMaps) throws Exception {
        Files.writeString(dir.resolve("virtual"), String.join("\n",
                "root            me@dest.example",
                "team@dest.example   ann@dest.example, bob@dest.example",
                "loop1@dest.example  loop2@dest.example",
                "loop2@dest.example  loop1@dest.example",
                "info@virt.example   me@dest.example",
                ""));
        Files.writeString(dir.resolve("body_checks"), "/^BCC THE LOOP$/ BCC loop1@dest.example\n");
        Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                + "mydestination = desk.example\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "recipient_delimiter = +\n"
                + "virtual_alias_maps = " + virtualAliasMaps + "\n"
                + "virtual_alias_recursion_limit = 20\n"
                + "virtual_alias_domains = virt.example\n"
                + "body_checks = regexp:" + dir.resolve("body_checks") + "\n"
                + "sender_canonical_maps = inline:{ alice@desk.example = alice@host.dest.example }\n"
                + "masquerade_domains = dest.example\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "127.0.0.2:0 inet n - n - - smtpd -o receive_override_options=no_address_mappings\n"
                + "127.0.0.3:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject_unauth_destination"
                + " -o local_header_rewrite_clients=permit_sasl_authenticated\n"
                // a virtual alias domain only in an -o: no effect (the router would relay it), as in Postfix
                + "127.0.0.4:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=reject_unauth_destination"
                + " -o virtual_alias_domains=victim.example -o relay_domains=victim2.example -o mydestination=victim3.example\n"
                + "127.0.0.5:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=check_recipient_access,texthash:"
                + dir.resolve("access") + ",reject_unauth_destination -o receive_override_options=no_unknown_recipient_checks\n");
        Files.writeString(dir.resolve("access"), "redirectme@virt.example  REDIRECT team@dest.example\n");
        Files.writeString(dir.resolve("master.cf"), Files.readString(dir.resolve("master.cf"))
                // a local_header_rewrite_clients table that cannot answer; permit_inet_interfaces as a restriction
                + "127.0.0.6:0 inet n - n - - smtpd -o local_header_rewrite_clients=check_address_map,texthash:"
                + dir.resolve("missing-clients") + "\n"
                + "127.0.0.7:0 inet n - n - - smtpd -o smtpd_recipient_restrictions=permit_inet_interfaces,reject\n");
        return Server.start(Server.plan(dir), null);
    }

    /** The reply to the end of DATA. */
    private static String send(InetSocketAddress service, String from, String... rcpts) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            for (String r : rcpts) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<" + r + ">"), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command("Subject: hello\r\nFrom: " + from + "\r\nTo: root, Team <team@dest.example>\r\n"
                    + "Cc: (nobody) carol@host.dest.example\r\n\r\ntext\r\n.");
            c.command("QUIT");
            return r;
        }
    }

    /** One transaction whose RCPTs (each "<address> [parameters]") are all accepted; the reply to the end of DATA. */
    private static String transaction(InetSocketAddress service, String from, List<String> rcpts, String content)
            throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            for (String r : rcpts) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:" + r), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            return c.command(content + ".");
        }
    }

    private static String id(String reply) {
        assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
        return reply.substring(reply.lastIndexOf(' ') + 1);
    }

    @Test
    void senderAndRecipientsAreRewrittenBeforeTheQueueAndTheExpandedOnesKeepTheirOriginal() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            sink.offerDsn = true;
            String qid = id(send(server.addresses().get(0), "alice@desk.example",
                    "root+cron@desk.example", "team@dest.example", "carol@dest.example"));
            RecordingSink.Message m = sink.expect("the rewritten message");
            // sender_canonical_maps, then masquerade_domains (envelope_sender is in masquerade_classes)
            assertEquals("<alice@dest.example>", m.mailFrom());
            Set<String> rcpts = new TreeSet<>(m.rcptTo());
            assertEquals(new TreeSet<>(List.of(
                    "<me+cron@dest.example> ORCPT=rfc822;root+2Bcron@desk.example",
                    "<ann@dest.example> ORCPT=rfc822;team@dest.example",
                    "<bob@dest.example> ORCPT=rfc822;team@dest.example",
                    "<carol@dest.example> ORCPT=rfc822;carol@dest.example")), rcpts); // as Postfix, ORCPT for every recipient
            // a client on this host's interfaces (local_header_rewrite_clients = permit_inet_interfaces):
            // its header addresses get @$myorigin, sender_canonical_maps and masquerading (header_sender
            // and header_recipient classes); virtual aliasing never touches headers; a header nothing
            // changed is kept byte for byte
            assertTrue(m.data().contains("\r\nFrom: alice@dest.example\r\nTo: root@desk.example, Team <team@dest.example>\r\n"
                    + "Cc: carol@dest.example (nobody)\r\n"), m.data());
            String log = MailLogFile.await(dir.resolve("maillog"), qid + ": from=<alice@dest.example>", WAIT);
            assertTrue(log.contains(qid + ": from=<alice@dest.example>, size="), log);
            MailLogFile.await(dir.resolve("maillog"), qid + ": to=<me\\+cron@dest.example>.*status=sent", WAIT);
        }
    }

    /**
     * No compatibility_level in main.cf (as the seed's): Postfix's old defaults, so
     * append_dot_mydomain is on ($mydomain here is "example", from myhostname desk.example) for the
     * envelope and the header addresses of a local client, and swap_bangpath and
     * allow_percent_hack turn the header forms without an '@' into user@host (trivial-rewrite's
     * rewrite_tree(), checked against Postfix by AddressRewritingInteropTest).
     */
    @Test
    void withoutACompatibilityLevelADomainWithoutADotGetsMydomainAndBangAndPercentFormsAreSwapped() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            String qid = id(transaction(server.addresses().get(0), "joe@laptop", List.of("<ann@laptop>"),
                    "From: Joe <joe@laptop>\r\nTo: ann@laptop, host!user, user%host\r\nCc: \"a!b\"@far.example, x@[192.0.2.1]\r\n"
                            + "\r\ntext\r\n"));
            RecordingSink.Message m = sink.expect("the message with its addresses completed");
            assertEquals("<joe@laptop.example>", m.mailFrom());
            assertEquals(List.of("<ann@laptop.example>"), m.rcptTo());
            assertTrue(m.data().contains("\r\nFrom: Joe <joe@laptop.example>\r\n"
                    + "To: ann@laptop.example, user@host.example, user@host.example\r\n"
                    + "Cc: a!b@far.example, x@[192.0.2.1]\r\n"), m.data());
            MailLogFile.await(dir.resolve("maillog"), qid + ": from=<joe@laptop.example>", WAIT);
            // as Postfix's trivial-rewrite logs each use of the old default
            MailLogFile.await(dir.resolve("maillog"), "postern/trivial-rewrite\\[\\d+\\]: using backwards-compatible default"
                    + " setting append_dot_mydomain=yes to rewrite \"laptop\" to \"laptop\\.example\"", WAIT);
        }
    }

    @Test
    void anAliasLoopAndAnUnreadableTableAreRefusedAt451() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            assertEquals("451 4.6.0 Alias expansion error", send(server.addresses().get(0), "alice@desk.example",
                    "loop1@dest.example"));
            String log = MailLogFile.await(dir.resolve("maillog"),
                    "unreasonable virtual_alias_maps map nesting for loop1@dest.example", WAIT);
            assertTrue(log.matches("(?s).*postern/cleanup\\[\\d+\\]: warning: [0-9A-Z]+: unreasonable virtual_alias_maps"
                    + " map nesting for loop1@dest.example -- message not accepted, try again later.*"), log);
        }
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("missing"))) {
            assertEquals("451 4.3.0 Error: queue file write error", send(server.addresses().get(0), "alice@desk.example",
                    "carol@dest.example"));
            MailLogFile.await(dir.resolve("maillog"), "warning: [0-9A-Z]+: virtual_alias_maps map lookup problem for"
                    + " carol@dest.example -- message not accepted, try again later", WAIT);
            // Postfix's cleanup does nothing with the content after the envelope failed: a hop count
            // over hopcount_limit (554 otherwise) must not turn the table's failure into a refusal for good
            try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(0))) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO client.example");
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@desk.example>"));
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<carol@dest.example>"));
                assertTrue(c.command("DATA").startsWith("354"));
                String hops = "Received: from hop.example by hop.example; Thu, 3 Dec 2026 10:00:00 +0000\r\n".repeat(60);
                assertEquals("451 4.3.0 Error: queue file write error", c.command(hops + "Subject: loop\r\n\r\ntext\r\n."));
            }
            assertFalse(Files.readString(dir.resolve("maillog")).contains("hopcount exceeded"));
            assertEquals(0, sink.pending());
        }
    }

    @Test
    void noAddressMappingsLeavesTheEnvelopeAlone() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            id(send(server.addresses().get(1), "alice@desk.example", "team@dest.example"));
            RecordingSink.Message m = sink.expect("the message as received");
            assertEquals("<alice@desk.example>", m.mailFrom());
            assertEquals(List.of("<team@dest.example>"), m.rcptTo());
        }
    }

    @Test
    void aVirtualAliasDomainTakesMailFromAnyoneForItsKnownAddressesOnly() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            // a service where only the destination authorizes: no permit_mynetworks
            try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(2))) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO client.example");
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<someone@far.example>"));
                assertEquals("550 5.1.1 <nobody@virt.example>: Recipient address rejected: User unknown in virtual alias table",
                        c.command("RCPT TO:<nobody@virt.example>"));
                assertEquals("554 5.7.1 <x@elsewhere.example>: Relay access denied", c.command("RCPT TO:<x@elsewhere.example>"));
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<info@virt.example>"));
                assertTrue(c.command("DATA").startsWith("354"));
                id(c.command("Subject: hi\r\nFrom: someone\r\nTo: info@virt.example\r\n\r\nhello\r\n."));
            }
            RecordingSink.Message m = sink.expect("the aliased message");
            assertEquals(List.of("<me@dest.example>"), m.rcptTo());
            // a remote client (not in this service's local_header_rewrite_clients, no
            // remote_header_rewrite_domain): its headers are left alone
            assertTrue(m.data().contains("\r\nFrom: someone\r\nTo: info@virt.example\r\n"), m.data());
            MailLogFile.await(dir.resolve("maillog"), "NOQUEUE: reject: RCPT from unknown\\[127\\.0\\.0\\.1\\]: 550 5\\.1\\.1"
                    + " <nobody@virt\\.example>: Recipient address rejected: User unknown in virtual alias table;", WAIT);
        }
    }

    @Test
    void messageDropHeadersRemovesBccReturnPathAndContentLength() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            id(transaction(server.addresses().get(2), "someone@far.example", List.of("<info@virt.example>"),
                    "Return-Path: <forged@far.example>\r\nSubject: hi\r\nBcc: hidden@far.example,\r\n"
                    + " other@far.example\r\nContent-Length: 5\r\nresent-bcc : x@far.example\r\nX-Kept: yes\r\n"
                    + "\r\nBcc: in the body stays\r\n"));
            String data = sink.expect("the message").data();
            assertTrue(data.contains("\r\nSubject: hi\r\nX-Kept: yes\r\n"), data);
            for (String gone : List.of("Return-Path", "Bcc: hidden", "other@far.example", "Content-Length", "resent-bcc")) {
                assertTrue(!data.contains(gone), gone + " should be gone: " + data);
            }
            assertTrue(data.contains("\r\n\r\nBcc: in the body stays\r\n"), data);
        }
    }

    @Test
    void anSmtpdOptionCannotMakeADomainAcceptedAndTheUnknownRecipientCheckCanBeTurnedOff() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(3))) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO client.example");
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<spammer@far.example>"));
                assertEquals("554 5.7.1 <someone@victim.example>: Relay access denied", c.command("RCPT TO:<someone@victim.example>"));
                // nor relay_domains or mydestination: the router (main.cf) would relay what smtpd took
                assertEquals("554 5.7.1 <someone@victim2.example>: Relay access denied", c.command("RCPT TO:<someone@victim2.example>"));
                assertEquals("554 5.7.1 <someone@victim3.example>: Relay access denied", c.command("RCPT TO:<someone@victim3.example>"));
            }
            try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(4))) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO client.example");
                assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<someone@far.example>"));
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<nobody@virt.example>"), "no_unknown_recipient_checks");
            }
        }
    }

    @Test
    void anAliasHidesItsMembersFromSuccessNoticesAndARedirectIsNotMapped() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            sink.offerDsn = true;
            id(transaction(server.addresses().get(0), "alice@desk.example",
                    List.of("<team@dest.example> NOTIFY=SUCCESS,FAILURE", "<root@desk.example> NOTIFY=SUCCESS"),
                    "Subject: hi\r\n\r\nhello\r\n"));
            // cleanup_out_recipient(): SUCCESS taken out of an alias's members, NEVER when it was all
            assertEquals(new TreeSet<>(List.of(
                    "<ann@dest.example> ORCPT=rfc822;team@dest.example NOTIFY=FAILURE",
                    "<bob@dest.example> ORCPT=rfc822;team@dest.example NOTIFY=FAILURE",
                    "<me@dest.example> ORCPT=rfc822;root@desk.example NOTIFY=NEVER")),
                    new TreeSet<>(sink.expect("the aliased message").rcptTo()));
            // ... and reports the aliases themselves to the sender, "expanded"
            RecordingSink.Message notice = sink.expect("the expanded notice");
            assertEquals(List.of("<alice@dest.example> ORCPT=rfc822;alice@dest.example"), notice.rcptTo());
            assertTrue(notice.data().contains("\r\n<team@dest.example>: alias expanded\r\n\r\n<root@desk.example>: alias expanded\r\n"),
                    notice.data());
            id(transaction(server.addresses().get(4), "someone@far.example", List.of("<redirectme@virt.example>"),
                    "Subject: hi\r\n\r\nhello\r\n"));
            // the REDIRECT address goes in as it is (Postfix's qmgr), not through virtual_alias_maps
            List<String> rcpts = sink.expect("the redirected message").rcptTo();
            assertEquals(1, rcpts.size(), rcpts.toString());
            assertTrue(rcpts.get(0).startsWith("<team@dest.example>"), rcpts.toString());
        }
    }

    @Test
    void aBodyChecksBccThatCannotBeExpandedRefusesTheMessage() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            // the BCC comes after the queue file was started; its alias loops: 451, nothing queued
            assertEquals("451 4.6.0 Alias expansion error", transaction(server.addresses().get(0), "alice@desk.example",
                    List.of("<carol@dest.example>"), "Subject: hi\r\n\r\nfirst\r\nBCC THE LOOP\r\n"));
            MailLogFile.await(dir.resolve("maillog"), "unreasonable virtual_alias_maps map nesting for loop1@dest\\.example", WAIT);
            assertEquals(0, sink.pending());
        }
    }

    @Test
    void theHeaderContextIsChosenAtMailFromAndPermitInetInterfacesPermitsThisHost() throws Exception {
        try (RecordingSink sink = RecordingSink.start();
             Server server = start(sink, "texthash:" + dir.resolve("virtual"))) {
            try (SmtpTestClient c = new SmtpTestClient(server.addresses().get(5))) {
                assertTrue(c.reply().startsWith("220"));
                c.command("EHLO client.example");
                // smtpd_check_rewrite(): a table that cannot answer refuses MAIL FROM, nothing is queued
                assertEquals("451 4.3.0 Temporary lookup error", c.command("MAIL FROM:<alice@desk.example>"));
            }
            // the client, 127.0.0.1, is one of this host's addresses (inet_interfaces = all): relaying is permitted
            id(transaction(server.addresses().get(6), "alice@desk.example", List.of("<x@elsewhere.example>"),
                    "Subject: hi\r\n\r\nhello\r\n"));
            assertEquals(List.of("<x@elsewhere.example>"), sink.expect("the relayed message").rcptTo());
        }
    }
}

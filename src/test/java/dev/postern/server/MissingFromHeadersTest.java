package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The (Resent-)From: cleanup adds, end to end: the real server on loopback relaying to a
 * recording sink. As Postfix's cleanup_header_done_callback(), a missing From: and, for a message
 * with Resent- headers, a missing Resent-From: are added (the envelope sender) only in a header
 * rewrite context; (Resent-)Message-Id and (Resent-)Date are added for every client (Postern's
 * deliberate difference, RFC 6409 §8.3).
 */
class MissingFromHeadersTest {
    @TempDir
    Path dir;

    private Server start(RecordingSink sink) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                + "mydestination = desk.example\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n");
        // the default local_header_rewrite_clients (permit_inet_interfaces) makes 127.0.0.1 local;
        // the second service's clients are all remote (none authenticates)
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "127.0.0.2:0 inet n - n - - smtpd -o local_header_rewrite_clients=permit_sasl_authenticated\n");
        return Server.start(Server.plan(dir), null);
    }

    private Server start(RecordingSink sink, String moreMainCf) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "local_header_rewrite_clients = permit_sasl_authenticated\n"
                + moreMainCf);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        return Server.start(Server.plan(dir), null);
    }

    @Test
    void alwaysAddMissingHeadersAddsFromForRemoteClientsToo() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink, "always_add_missing_headers = yes\n")) {
            String remotePlain = relay(server.addresses().get(0), sink, "To: bob@far.example\r\nSubject: hi\r\n\r\nbody\r\n");
            assertTrue(remotePlain.contains("\r\nFrom: alice@client.example\r\n"), remotePlain);
            String resent = relay(server.addresses().get(0), sink, "Resent-To: bob@far.example\r\nSubject: fwd\r\n\r\nbody\r\n");
            assertTrue(resent.contains("\r\nResent-From: alice@client.example\r\n"), resent);
        }
    }

    /** One transaction from alice@client.example to bob@far.example; the data the sink received. */
    private static String relay(InetSocketAddress service, RecordingSink sink, String content) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@client.example>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<bob@far.example>"));
            assertTrue(c.command("DATA").startsWith("354"));
            String reply = c.command(content + ".");
            assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
            c.command("QUIT");
        }
        return sink.expect("the relayed message").data();
    }

    @Test
    void resentFromIsAddedOnlyWhereFromIsAdded() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink)) {
            String resent = "Resent-To: bob@far.example\r\nSubject: fwd\r\n\r\nbody\r\n";
            String plain = "To: bob@far.example\r\nSubject: hi\r\n\r\nbody\r\n";

            String local = relay(server.addresses().get(0), sink, resent);
            assertTrue(local.contains("\r\nResent-From: alice@client.example\r\n"), local);
            assertTrue(local.contains("\r\nResent-Message-Id: <") && local.contains("\r\nResent-Date: "), local);
            assertFalse(local.contains("\r\nFrom:"), "a resent message gets no From: " + local);

            String remote = relay(server.addresses().get(1), sink, resent);
            assertFalse(remote.contains("Resent-From:"), "no Resent-From: for a remote client: " + remote);
            assertTrue(remote.contains("\r\nResent-Message-Id: <") && remote.contains("\r\nResent-Date: "),
                    "Resent-Message-Id and Resent-Date still are: " + remote);

            String localPlain = relay(server.addresses().get(0), sink, plain);
            assertTrue(localPlain.contains("\r\nFrom: alice@client.example\r\n"), localPlain);
            String remotePlain = relay(server.addresses().get(1), sink, plain);
            assertFalse(remotePlain.contains("From: alice"), remotePlain);
            assertTrue(remotePlain.contains("\r\nMessage-Id: <") && remotePlain.contains("\r\nDate: "), remotePlain);
        }
    }
}

package dev.postern.server;

import dev.postern.testing.MailLogFile;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Postfix's cleanup_addr_sender() turns a MAILER-DAEMON@$myorigin sender (any case) into the null
 * sender, so bounced mail relayed back in is never bounced again; with no rewriting table set,
 * and on a service with receive_override_options = no_address_mappings too. Other
 * MAILER-DAEMON addresses are kept.
 */
class MailerDaemonSenderTest {
    @TempDir
    Path dir;

    private static String send(java.net.InetSocketAddress service, String from) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + from + ">"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<someone@far.example>"));
            assertTrue(c.command("DATA").startsWith("354"));
            String reply = c.command("Subject: hi\r\n\r\nhello\r\n.");
            assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
            return reply.substring(reply.lastIndexOf(' ') + 1);
        }
    }

    @Test
    void mailerDaemonAtMyoriginBecomesTheNullSender() throws Exception {
        try (RecordingSink sink = RecordingSink.start()) {
            Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                    + "myorigin = origin.example\n"
                    + "smtpd_peername_lookup = no\n"
                    + "mynetworks = 127.0.0.0/8\n"
                    + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                    + "queue_directory = " + dir.resolve("queue") + "\n"
                    + "maillog_file = " + dir.resolve("maillog") + "\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                    + "smtp_tls_security_level = none\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "127.0.0.2:0 inet n - n - - smtpd -o receive_override_options=no_address_mappings\n");
            try (Server server = Server.start(Server.plan(dir), null)) {
                String qid = send(server.addresses().get(0), "mailer-daemon@ORIGIN.example");
                assertEquals("<>", sink.expect("the message from MAILER-DAEMON@$myorigin").mailFrom());
                MailLogFile.await(dir.resolve("maillog"), qid + ": from=<>, size=", Duration.ofSeconds(20));
                send(server.addresses().get(1), "MAILER-DAEMON@origin.example");
                assertEquals("<>", sink.expect("the same on a service without address mappings").mailFrom());
                send(server.addresses().get(0), "MAILER-DAEMON@desk.example");
                assertEquals("<MAILER-DAEMON@desk.example>", sink.expect("a MAILER-DAEMON of another domain").mailFrom());
            }
        }
    }
}

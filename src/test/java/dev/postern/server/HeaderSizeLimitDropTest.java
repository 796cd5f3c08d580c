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
 * header_size_limit end to end, the real server on loopback relaying to a recording sink: as in
 * Postfix (mime_state_update() applies the limit to each header), a header longer than the
 * limit is cut and the headers after it are still headers, so message_drop_headers still
 * removes a Bcc: that comes after it, or after a header section longer than the limit. With and
 * without header checks (which read the content first).
 */
class HeaderSizeLimitDropTest {
    @TempDir
    Path dir;

    private Server start(RecordingSink sink) throws Exception {
        Files.writeString(dir.resolve("header_checks"), "/^Subject: never matches this$/ REJECT\n");
        Files.writeString(dir.resolve("main.cf"), "myhostname = desk.example\n"
                + "mydestination = desk.example\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n"
                + "header_size_limit = 1000\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "maillog_file = " + dir.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n"
                + "minimal_backoff_time = 1s\n"
                + "queue_run_delay = 1s\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n"
                + "127.0.0.2:0 inet n - n - - smtpd -o cleanup_service_name=checking\n"
                + "checking unix n - n - 0 cleanup -o header_checks=regexp:" + dir.resolve("header_checks") + "\n");
        return Server.start(Server.plan(dir), null);
    }

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
    void aBccAfterAnOverLongHeaderOrPastTheLimitNeverReachesTheRecipient() throws Exception {
        try (RecordingSink sink = RecordingSink.start(); Server server = start(sink)) {
            for (InetSocketAddress service : server.addresses()) {
                // a header section read at once, and one past the 256 KiB cleanup reads before it looks
                for (int size : new int[] {3000, 300_000}) {
                    String longHeader = "X-Long: " + "a".repeat(size);
                    String data = relay(service, sink, "From: alice@client.example\r\nSubject: s\r\n" + longHeader
                            + "\r\nBcc: hidden@far.example,\r\n other@far.example\r\nTo: bob@far.example\r\n\r\n"
                            + "Bcc: in the body stays\r\n");
                    String where = service + ", " + size + ": ";
                    assertFalse(data.contains("hidden@far.example") || data.contains("other@far.example"), where + head(data));
                    assertTrue(data.contains("\r\n" + longHeader.substring(0, 1000) + "\r\n"), where + head(data));
                    assertFalse(data.contains(longHeader.substring(0, 1001)), where + "cut at the limit: " + head(data));
                    assertTrue(data.contains("\r\nTo: bob@far.example\r\n") && data.endsWith("\r\n\r\nBcc: in the body stays\r\n"),
                            where + head(data));
                }
                StringBuilder many = new StringBuilder("From: alice@client.example\r\n");
                for (int i = 0; i < 3000; i++) { // 300 KB of headers, each shorter than the limit
                    many.append("X-Filler-").append(i).append(": ").append("f".repeat(90)).append("\r\n");
                }
                many.append("Bcc: late@far.example\r\nReturn-Path: <forged@far.example>\r\nTo: bob@far.example\r\n\r\nbody\r\n");
                String past = relay(service, sink, many.toString());
                assertFalse(past.contains("late@far.example") || past.contains("forged@far.example"), service + ": " + head(past));
                assertTrue(past.contains("X-Filler-2999: " + "f".repeat(90) + "\r\n"), service + ": " + head(past));
                assertTrue(past.endsWith("\r\nTo: bob@far.example\r\n\r\nbody\r\n"), service + ": " + head(past));
            }
        }
    }

    private static String head(String data) {
        return data.length() < 3000 ? data : data.substring(0, 1500) + " ... " + data.substring(data.length() - 1500);
    }
}

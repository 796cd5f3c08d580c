package dev.postern.server;

import dev.postern.testing.MailLogFile;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same aliased message through real Postfix 3.7 and through Postern, each relaying to a sink
 * of its own: both log {@code to=<member>, orig_to=<alias>}, and both send the sender the same
 * "expanded" success notice and the same bounce "(expanded from <alias>)", recipient for recipient,
 * in the human-readable part and in the delivery-status part (dates, queue IDs and MIME boundaries
 * aside).
 */
class OriginalRecipientInteropTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String VIRTUAL = "team@dest.example   ann@dest.example, bob@dest.example\n"
            + "Chief@dest.example  boss@dest.example\n";

    @TempDir
    Path dir;

    private static void send(InetSocketAddress to) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(to)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@sender.example>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<team@dest.example> NOTIFY=SUCCESS,FAILURE"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<chief@dest.example>"));
            assertTrue(c.command("DATA").startsWith("354"));
            String reply = c.command("Subject: interop\r\nMessage-Id: <orig-rcpt@client.example>\r\n\r\nhello\r\n.");
            assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
            c.command("QUIT");
        }
    }

    /** The sink's three messages: the relayed one, the bounce, the expanded notice, by Subject. */
    private static Map<String, String> notices(RecordingSink sink, String who) throws Exception {
        List<RecordingSink.Message> got = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            got.add(sink.expect(who + ": message " + (i + 1) + " of 3"));
        }
        java.util.TreeMap<String, String> out = new java.util.TreeMap<>();
        for (RecordingSink.Message m : got) {
            java.util.regex.Matcher s = java.util.regex.Pattern.compile("\r\nSubject: ([^\r]*)\r\n").matcher("\r\n" + m.data());
            assertTrue(s.find(), m.data());
            if (!s.group(1).equals("interop")) {
                assertTrue(m.mailFrom().startsWith("<> ") || m.mailFrom().equals("<>"), m.mailFrom());
                out.put(s.group(1), report(m.data()));
            }
        }
        return out;
    }

    /**
     * What a notice says per recipient: its text part's recipient lines and its delivery-status
     * part's recipient blocks, without what differs by run (the sink's port).
     */
    private static String report(String data) {
        String boundary = data.replaceAll("(?s).*boundary=\"([^\"]+)\".*", "$1");
        String[] parts = data.split("--" + java.util.regex.Pattern.quote(boundary));
        String text = parts[1].replaceAll("(?s)^.*?The mail system\r\n\r\n", "");
        String status = parts[2].replaceAll("(?s)^.*?\r\n\r\n.*?\r\n\r\n", ""); // the part's headers, the per-message fields
        return (text + "----\r\n" + status).replaceAll("127\\.0\\.0\\.1\\]:\\d+", "127.0.0.1]:PORT");
    }

    @Test
    void postfixAndPosternReportAnAliasAlike() throws Exception {
        try (RecordingSink pfSink = RecordingSink.start(); RecordingSink sink = RecordingSink.start()) {
            pfSink.rcptReplies.put("bob@dest.example", "550 5.1.1 <bob@dest.example>: no such user");
            sink.rcptReplies.put("bob@dest.example", "550 5.1.1 <bob@dest.example>: no such user");
            Path pfDir = Files.createDirectories(dir.resolve("postfix"));
            Files.writeString(pfDir.resolve("virtual"), VIRTUAL);
            Map<String, String> pfMain = Map.of("myhostname", "desk.example",
                    "virtual_alias_maps", "texthash:" + pfDir.resolve("virtual"),
                    "relayhost", "[127.0.0.1]:" + pfSink.port(),
                    "smtp_tls_security_level", "none");
            try (PostfixInstance pf = PostfixInstance.start(pfDir, pfMain)) {
                send(new InetSocketAddress("127.0.0.1", pf.smtpPort()));
                Map<String, String> postfix = notices(pfSink, "Postfix");
                String pfLog = pf.awaitLog(": to=<boss@dest\\.example>, orig_to=<chief@dest\\.example>, relay=", WAIT);
                assertTrue(pfLog.matches("(?s).*: to=<ann@dest\\.example>, orig_to=<team@dest\\.example>, relay=.*"), pfLog);

                Path pd = Files.createDirectories(dir.resolve("postern"));
                Files.writeString(pd.resolve("virtual"), VIRTUAL);
                Files.writeString(pd.resolve("main.cf"), "myhostname = desk.example\n"
                        + "mydestination =\n"
                        + "smtpd_peername_lookup = no\n"
                        + "mynetworks = 127.0.0.0/8\n"
                        + "smtpd_relay_restrictions = permit_mynetworks, reject\n"
                        + "virtual_alias_maps = texthash:" + pd.resolve("virtual") + "\n"
                        + "queue_directory = " + pd.resolve("queue") + "\n"
                        + "maillog_file = " + pd.resolve("maillog") + "\n"
                        + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                        + "smtp_tls_security_level = none\n");
                Files.writeString(pd.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
                try (Server server = Server.start(Server.plan(pd), null)) {
                    send(server.addresses().get(0));
                    Map<String, String> postern = notices(sink, "Postern");
                    String log = MailLogFile.await(pd.resolve("maillog"),
                            ": to=<boss@dest\\.example>, orig_to=<chief@dest\\.example>, relay=", WAIT);
                    assertTrue(log.matches("(?s).*: to=<ann@dest\\.example>, orig_to=<team@dest\\.example>, relay=.*"), log);
                    assertEquals(List.of("Successful Mail Delivery Report", "Undelivered Mail Returned to Sender"),
                            List.copyOf(postfix.keySet()));
                    assertEquals(postfix, postern);
                }
            }
        }
    }
}

package dev.postern.server;

import dev.postern.testing.MailLogFile;
import dev.postern.testing.Peers;
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

    /** Postern as the desktop MTA Postfix is in each test: myhostname desk.example, relaying to {@code sink}. */
    private static void writePostern(Path pd, RecordingSink sink, String more) throws Exception {
        Files.writeString(pd.resolve("main.cf"), "myhostname = desk.example\n"
                + "mydestination =\n"
                + "smtpd_peername_lookup = no\n"
                + "mynetworks = 127.0.0.0/8\n"
                + "smtpd_relay_restrictions = permit_mynetworks, reject\n"
                + "queue_directory = " + pd.resolve("queue") + "\n"
                + "maillog_file = " + pd.resolve("maillog") + "\n"
                + "relayhost = [127.0.0.1]:" + sink.port() + "\n"
                + "smtp_tls_security_level = none\n" + more);
        Files.writeString(pd.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
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
                writePostern(pd, sink, "virtual_alias_maps = texthash:" + pd.resolve("virtual") + "\n");
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

    /** Each delivery line's {@code to=<a>} with its {@code , orig_to=<b>} (or none), sorted. */
    private static List<String> deliveries(String log) {
        List<String> out = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(": (to=<[^>]*>(?:, orig_to=<[^>]*>)?), relay=").matcher(log);
        while (m.find()) {
            out.add(m.group(1));
        }
        java.util.Collections.sort(out);
        return out;
    }

    /**
     * What sendmail is given, through Postfix 3.7's sendmail and postdrop and through Postern's:
     * a bang path, the percent hack, a bare name, a host without a dot (append_dot_mydomain, on
     * below compatibility_level 1) and a plain address. Both deliver the same addresses, log the
     * same {@code orig_to=} (what was given) and the same pickup line (the sender as given).
     */
    @Test
    void postfixAndPosternCompleteWhatSendmailWasGivenAlike() throws Exception {
        Peers.require("/usr/sbin/sendmail", "postfix");
        List<String> given = List.of("remote.test!bob", "carol%remote.test", "root", "dave@laptop", "erin@remote.test");
        try (RecordingSink pfSink = RecordingSink.start(); RecordingSink sink = RecordingSink.start()) {
            Path pfDir = Files.createDirectories(dir.resolve("postfix"));
            Map<String, String> pfMain = Map.of("myhostname", "desk.example",
                    "compatibility_level", "0", // after the harness's 3.6: Postfix uses the last value
                    "relayhost", "[127.0.0.1]:" + pfSink.port(),
                    "smtp_tls_security_level", "none");
            String pfLog;
            try (PostfixInstance pf = PostfixInstance.start(pfDir, pfMain)) {
                List<String> cmd = new ArrayList<>(List.of("/usr/sbin/sendmail", "-C", pfDir.resolve("conf").toString(),
                        "-f", "joe", "--"));
                cmd.addAll(given);
                Peers.Result r = Peers.run(Duration.ofSeconds(30), "Subject: forms\n\nhi\n", cmd);
                assertEquals(0, r.exit(), r.out() + r.err());
                RecordingSink.Message m = pfSink.expect("Postfix relayed it");
                assertEquals("<joe@desk.example>", m.mailFrom());
                pfLog = pf.awaitLog("(status=sent[\\s\\S]*){5}", WAIT);
            }
            Path pd = Files.createDirectories(dir.resolve("postern"));
            writePostern(pd, sink, "");
            try (Server server = Server.start(Server.plan(pd), null)) {
                List<String> args = new ArrayList<>(List.of("sendmail", "-C", pd.toString(), "-f", "joe"));
                args.addAll(given);
                SendmailTest.Run r = SendmailTest.sendmail("Subject: forms\n\nhi\n", args.toArray(String[]::new));
                assertEquals(0, r.code(), r.err());
                RecordingSink.Message m = sink.expect("Postern relayed it");
                assertEquals("<joe@desk.example>", m.mailFrom());
                String log = MailLogFile.await(pd.resolve("maillog"), "(status=sent[\\s\\S]*){5}", WAIT);
                assertEquals(List.of("to=<bob@remote.test>, orig_to=<remote.test!bob>",
                        "to=<carol@remote.test>, orig_to=<carol%remote.test>",
                        "to=<dave@laptop.example>, orig_to=<dave@laptop>", "to=<erin@remote.test>",
                        "to=<root@desk.example>, orig_to=<root>"), deliveries(pfLog), pfLog);
                assertEquals(deliveries(pfLog), deliveries(log), log);
                assertTrue(pfLog.matches("(?s).*/pickup\\[\\d+\\]: \\w+: uid=\\d+ from=<joe>\n.*"), pfLog);
                assertTrue(log.matches("(?s).*/pickup\\[\\d+\\]: \\w+: uid=\\d+ from=<joe>\n.*"), log);
            }
        }
    }
}

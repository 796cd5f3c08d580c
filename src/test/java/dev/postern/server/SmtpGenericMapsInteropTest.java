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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * smtp_generic_maps against real Postfix (Debian's) as the SMTP client: the same generic table,
 * the same envelope and MIME message relayed by each to a recording next hop. The next hop must
 * get the same MAIL FROM, the same RCPT TOs and the same bytes (each MTA's own Received header
 * aside), and the SMTP client's log the same warnings and the same queued addresses in its
 * to= lines. Once with smtp_generic_maps alone (Postfix does not follow MIME then), once after
 * smtp_header_checks (MIME followed; a REPLACEd header is rewritten only under its own name).
 */
class SmtpGenericMapsInteropTest {
    @TempDir
    Path dir;

    private static final String SENDER = "alice@desktop.localdomain";
    private static final List<String> RECIPIENTS = List.of("bob@desktop.localdomain", "user+foo@ext.example",
            "carol@far.example", "odd@desktop.localdomain", "multi@desktop.localdomain", "nodomain@desktop.localdomain",
            "dotless@desktop.localdomain", "bang@desktop.localdomain");

    private static final String MESSAGE = "From: Alice <alice@desktop.localdomain>\r\n"
            + "To: bob@far.example, \"Dave D\" <dave@desk.localdomain>,\r\n\tuser+foo@ext.example\r\n"
            + "Cc:  bob@far.example ,zed@nowhere.example\r\n"
            + "Reply-To: alice@desktop.localdomain (Alice),\r\n\tzed@nowhere.example\r\n"
            + "Apparently-To: first.person@example.org, second.person@example.org, third.person@example.org, "
            + "odd@desktop.localdomain, bob@desktop.localdomain\r\n"
            + "Disposition-Notification-To: Alice <multi@desktop.localdomain>\r\n"
            + "Sender: <>\r\n"
            + "Errors-To: group: nodomain@desktop.localdomain, \"quoted local\"@ext.example;\r\n"
            + "X-Reply-To: alice@desktop.localdomain\r\n"
            + "Subject: hi alice@desktop.localdomain\r\n"
            + "Message-ID: <interop-generic@client.example>\r\n"
            + "Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
            + "\r\n"
            + "--b1\r\n"
            + "Content-Type: text/plain\r\n"
            + "From: alice@desktop.localdomain\r\n"
            + "\r\n"
            + "text for alice@desktop.localdomain\r\n"
            + "--b1\r\n"
            + "Content-Type: message/rfc822\r\n"
            + "\r\n"
            + "From: alice@desktop.localdomain\r\n"
            + "To: user@ext.example\r\n"
            + "\r\n"
            + "inner\r\n"
            + "--b1--\r\n";

    private Path generic() throws Exception {
        Path g = dir.resolve("generic");
        Files.writeString(g, String.join("\n",
                "alice@desktop.localdomain     alice@example.com",
                "alice@example.com             never@example.com",
                "@desk.localdomain             @example.com",
                "bob                           robert@example.com",
                "carol@far.example             carol@far.example",
                "user@ext.example              other@ext2.example",
                "odd@desktop.localdomain       \"odd one\"@example.com",
                "multi@desktop.localdomain     first@example.com, second@example.com",
                "nodomain@desktop.localdomain  plainuser",
                // results go through trivial-rewrite's local context (mail_addr_map()): swap_bangpath,
                // and append_dot_mydomain when it is on
                "dotless@desktop.localdomain   joe@laptop",
                "bang@desktop.localdomain      relay!person",
                ""));
        return g;
    }

    /** What both get in main.cf: the table, extensions propagated, the desktop's own domain. */
    private Map<String, String> common(Path generic, boolean withChecks, boolean level0) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        if (level0) {
            m.put("compatibility_level", "0"); // append_dot_mydomain's old default: yes
        }
        m.put("mydomain", "rw.test");
        m.put("smtp_generic_maps", "texthash:" + generic);
        m.put("propagate_unmatched_extensions", "canonical, virtual, generic");
        m.put("recipient_delimiter", "+");
        m.put("myorigin", "desktop.localdomain");
        if (withChecks) {
            Path h = dir.resolve("smtp_header_checks");
            Files.writeString(h, String.join("\n",
                    "/^Received: from client\\.example / IGNORE",
                    "/^Cc: (.*)/ REPLACE Cc: $1, alice@desktop.localdomain",
                    "/^X-Reply-To: (.*)/ REPLACE Reply-To: $1",
                    "/^Subject:/ REPLACE Subject: checked",
                    ""));
            m.put("smtp_header_checks", "regexp:" + h);
        }
        return m;
    }

    private static void send(InetSocketAddress smtpd) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(smtpd)) {
            assertTrue(c.reply().startsWith("220"));
            c.command("EHLO client.example");
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<" + SENDER + ">"));
            for (String r : RECIPIENTS) {
                assertTrue(c.command("RCPT TO:<" + r + ">").startsWith("250"), r);
            }
            assertTrue(c.command("DATA").startsWith("354"));
            String r = c.command(MESSAGE + ".");
            assertTrue(r.startsWith("250"), r);
            c.command("QUIT");
        }
    }

    /** What the next hop got, each MTA's own Received header (the first header, with its continuation lines) removed. */
    private static String seen(RecordingSink.Message m) {
        String data = m.data();
        if (data.startsWith("Received: ")) {
            int end = data.indexOf("\r\n");
            while (data.startsWith("\t", end + 2) || data.startsWith(" ", end + 2)) {
                end = data.indexOf("\r\n", end + 2);
            }
            data = data.substring(end + 2);
        }
        return "MAIL FROM:" + m.mailFrom() + "\n" + m.rcptTo().stream().sorted().map(r -> "RCPT TO:" + r + "\n")
                .reduce("", String::concat) + data;
    }

    /** The SMTP client's warnings and its to= addresses with their status, without queue IDs, in order. */
    private static List<String> clientLines(String log, String tag) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(Pattern.quote(tag) + "\\[\\d+\\]: (?:[0-9A-Z]+: )?(warning: .*|to=<[^>]*>).*?(status=\\w+)?$",
                Pattern.MULTILINE).matcher(log);
        while (m.find()) {
            if (!m.group(1).contains("overriding earlier entry: compatibility_level=")) { // the harness's own 3.6, overridden
                out.add(m.group(1) + (m.group(2) == null ? "" : " " + m.group(2)));
            }
        }
        out.sort(null);
        return out;
    }

    private void compare(boolean withChecks) throws Exception {
        compare(withChecks, false);
    }

    private void compare(boolean withChecks, boolean level0) throws Exception {
        Path generic = generic();
        String postfixSeen;
        List<String> postfixLog;
        Path pf = dir.resolve((withChecks ? "postfix-checks" : "postfix") + (level0 ? "-0" : ""));
        try (RecordingSink sink = RecordingSink.start()) {
            Map<String, String> main = new LinkedHashMap<>(common(generic, withChecks, level0));
            main.put("myhostname", "postfix.test");
            main.put("relayhost", "[127.0.0.1]:" + sink.port());
            try (PostfixInstance postfix = PostfixInstance.start(pf, main)) {
                send(new InetSocketAddress("127.0.0.1", postfix.smtpPort()));
                RecordingSink.Message m = sink.take(60);
                assertNotNull(m, "Postfix relayed the message: " + postfix.log());
                postfixSeen = seen(m);
                String log = postfix.awaitLog("postfix/qmgr\\[\\d+\\]: [0-9A-Z]+: removed", Duration.ofSeconds(30));
                postfixLog = clientLines(log, "postfix/smtp");
            }
        }

        Path pn = Files.createDirectories(dir.resolve((withChecks ? "postern-checks" : "postern") + (level0 ? "-0" : "")));
        try (RecordingSink sink = RecordingSink.start()) {
            StringBuilder main = new StringBuilder((level0 ? "" : "compatibility_level = 3.6\n") + "mynetworks = 127.0.0.0/8\nmydestination =\n"
                    + "smtpd_relay_restrictions = permit_mynetworks, reject\nmyhostname = postern.test\n"
                    + "queue_directory = " + pn.resolve("queue") + "\nmaillog_file = " + pn.resolve("maillog") + "\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\nsmtp_tls_security_level = none\n");
            common(generic, withChecks, level0).forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(pn.resolve("main.cf"), main);
            Files.writeString(pn.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            try (Server server = Server.start(Server.plan(pn), null)) {
                send(server.addresses().get(0));
                RecordingSink.Message m = sink.take(30);
                assertNotNull(m, "Postern relayed the message");
                String log = MailLogFile.await(pn.resolve("maillog"), "postern/qmgr\\[\\d+\\]: [0-9A-Z]+: removed",
                        Duration.ofSeconds(30));
                assertEquals(postfixSeen, seen(m), "what the next hop receives");
                assertEquals(postfixLog, clientLines(log, "postern/smtp"), "the SMTP client's log lines");
            }
        }
        assertTrue(postfixSeen.startsWith("MAIL FROM:<alice@example.com>\n") && postfixSeen.contains("Dave D\" <dave@example.com>"),
                "the table acted: " + postfixSeen);
        assertTrue(postfixLog.contains("warning: multi-valued smtp_generic_maps result for multi@desktop.localdomain"),
                postfixLog.toString());
        assertTrue(postfixSeen.contains("RCPT TO:<person@relay" + (level0 ? ".rw.test" : "") + ">\n")
                && postfixSeen.contains("RCPT TO:<joe@laptop" + (level0 ? ".rw.test" : "") + ">\n"), postfixSeen);
    }

    @Test
    void posternSendsWhatPostfixsSmtpClientSendsWithGenericMapsAlone() throws Exception {
        compare(false);
    }

    @Test
    void posternSendsWhatPostfixsSmtpClientSendsAfterHeaderChecks() throws Exception {
        compare(true);
    }

    /** Without a compatibility_level (as the seed's main.cf): results get .$mydomain too. */
    @Test
    void posternSendsWhatPostfixsSmtpClientSendsAtCompatibilityLevelZero() throws Exception {
        compare(false, true);
    }
}

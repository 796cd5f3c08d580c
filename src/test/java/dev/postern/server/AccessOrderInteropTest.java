package dev.postern.server;

import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access-table search order against real Postfix: the same check_sender_access and
 * check_recipient_access table, the same recipient_delimiter, the same senders; Postern must
 * answer each RCPT exactly as Postfix does (parent domains under the default
 * parent_domain_matches_subdomains, user+ext@domain falling back to user@domain, user@, &lt;&gt;,
 * and regexp tables asked about the whole address only).
 */
class AccessOrderInteropTest {
    @TempDir
    Path dir;

    private static final List<String[]> PROBES = List.of(
            new String[] {"x@sub.blocked.example", "rcpt@far.example"},
            new String[] {"x@blocked.example", "rcpt@far.example"},
            new String[] {"joe+tag@example.com", "rcpt@far.example"},
            new String[] {"joe@example.com", "rcpt@far.example"},
            new String[] {"abuse@elsewhere.example", "rcpt@far.example"},
            new String[] {"", "rcpt@far.example"},
            new String[] {"ok@fine.example", "rcpt@far.example"},
            new String[] {"ok@fine.example", "someone@deep.dotted.example"},
            new String[] {"ok@fine.example", "someone@dotted.example"},
            new String[] {"ok@fine.example", "postmaster+x@rcpt.example"},
            new String[] {"ok@fine.example", "anyone@re.example"},
            new String[] {"ok@fine.example", "anyone@sub.re.example"});

    @Test
    void posternAnswersEveryProbeAsPostfixDoes() throws Exception {
        Path senders = dir.resolve("senders");
        Files.writeString(senders, String.join("\n",
                "blocked.example REJECT",
                "joe@example.com 550 5.7.1 joe",
                "abuse@ 550 5.7.1 any abuse",
                "<> 550 5.7.1 no bounces here", ""));
        Path recipients = dir.resolve("recipients");
        Files.writeString(recipients, String.join("\n",
                ".dotted.example 550 5.7.1 dotted subdomain",
                "postmaster@rcpt.example 550 5.7.1 postmaster without extension", ""));
        Path regexp = dir.resolve("recipients.regexp");
        Files.writeString(regexp, "/^re\\.example$/ 550 5.7.1 domain-only regexp\n/@re\\.example$/ 550 5.7.1 whole address\n");
        Map<String, String> common = new LinkedHashMap<>();
        common.put("recipient_delimiter", "+");
        common.put("smtpd_sender_restrictions", "check_sender_access hash:" + senders);
        common.put("smtpd_recipient_restrictions", "check_recipient_access hash:" + recipients
                + ", check_recipient_access regexp:" + regexp);

        Map<String, String> replies = new LinkedHashMap<>();
        postmapFirst(dir, senders, recipients);
        try (PostfixInstance pf = PostfixInstance.start(dir.resolve("postfix"), common)) {
            for (String[] p : PROBES) {
                replies.put(p[0] + " -> " + p[1], rcptReply(new InetSocketAddress("127.0.0.1", pf.smtpPort()), p));
            }
        }

        Path pn = dir.resolve("postern");
        Files.createDirectories(pn);
        StringBuilder main = new StringBuilder("compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\nmydestination =\n"
                + "smtpd_relay_restrictions = permit_mynetworks, reject\nmyhostname = postern.test\n"
                + "queue_directory = " + pn.resolve("queue") + "\nmaillog_file = " + pn.resolve("maillog") + "\n");
        common.forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(pn.resolve("main.cf"), main.toString());
        Files.writeString(pn.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        try (Server s = Server.start(Server.plan(pn), new ByteArrayOutputStream())) {
            for (String[] p : PROBES) {
                assertEquals(replies.get(p[0] + " -> " + p[1]), rcptReply(s.addresses().get(0), p),
                        "MAIL FROM:<" + p[0] + "> RCPT TO:<" + p[1] + ">");
            }
        }
        assertTrue(replies.get("x@sub.blocked.example -> rcpt@far.example").startsWith("554 5.7.1"),
                "the probes must exercise rejections: " + replies);
        assertTrue(replies.get("ok@fine.example -> rcpt@far.example").startsWith("250"), replies.toString());
    }

    /**
     * postmap before Postfix starts: PostfixInstance's readiness probe already spawns an smtpd,
     * which opens its tables once, at start; a .db made after that is never seen by it.
     */
    static void postmapFirst(Path dir, Path... tables) throws Exception {
        dev.postern.testing.Peers.require("/usr/sbin/postmap", "postfix");
        Path conf = dir.resolve("postmap-conf");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("main.cf"), "");
        for (Path t : tables) {
            var r = dev.postern.testing.Peers.run(java.time.Duration.ofSeconds(60), null,
                    List.of("/usr/sbin/postmap", "-c", conf.toString(), "hash:" + t));
            assertEquals(0, r.exit(), "postmap " + t + ": " + r.err());
        }
    }

    private static String rcptReply(InetSocketAddress server, String[] probe) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(server)) {
            c.reply();
            c.command("EHLO probe.example");
            String mail = c.command("MAIL FROM:<" + probe[0] + ">");
            if (!mail.startsWith("250")) {
                return "MAIL: " + mail;
            }
            String rcpt = c.command("RCPT TO:<" + probe[1] + ">");
            c.command("QUIT");
            return rcpt;
        }
    }
}

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
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routing against real Postfix as the desktop MTA: the same relayhost, sender_dependent_relayhost_maps,
 * transport_maps and recipient_delimiter, the same messages; each must reach the same loopback next
 * hop from Postern as from Postfix (Postern's .parent sender keys are Postern's own, so the shared
 * table has none: there a subdomain sender goes to the relayhost in both).
 */
class RoutingInteropTest {
    @TempDir
    Path dir;

    /** sender, recipient; the subject names the probe. */
    private static final List<String[]> PROBES = List.of(
            new String[] {"me@domain-a.example", "friend@far.example"},
            new String[] {"x@sub.domain-a.example", "friend@far.example"},
            new String[] {"joe+list@domain-b.example", "friend@far.example"},
            new String[] {"other@domain-b.example", "friend@far.example"},
            new String[] {"me@domain-c.example", "friend@far.example"},
            new String[] {"", "friend@far.example"},
            new String[] {"me@domain-a.example", "urgent@far.example"},
            new String[] {"me@domain-a.example", "x@deep.sub.example"},
            new String[] {"me@old.example", "friend@far.example"});

    @Test
    void posternRoutesEveryProbeWherePostfixDoes() throws Exception {
        try (RecordingSink isp = RecordingSink.start(); RecordingSink a = RecordingSink.start();
             RecordingSink b = RecordingSink.start(); RecordingSink t = RecordingSink.start()) {
            Map<String, RecordingSink> sinks = new LinkedHashMap<>();
            sinks.put("isp", isp);
            sinks.put("a", a);
            sinks.put("b", b);
            sinks.put("t", t);
            Path sdr = dir.resolve("sender_dependent_relayhost");
            Files.writeString(sdr, String.join("\n",
                    "@domain-a.example [127.0.0.1]:" + a.port(),
                    "joe@domain-b.example [127.0.0.1]:" + b.port(),
                    "@domain-c.example DUNNO",
                    "<> [127.0.0.1]:" + b.port(), ""));
            Path transport = dir.resolve("transport");
            Files.writeString(transport, String.join("\n",
                    "urgent@far.example smtp:[127.0.0.1]:" + t.port(),
                    ".sub.example :[127.0.0.1]:" + t.port(), ""));
            Map<String, String> common = new LinkedHashMap<>();
            common.put("relayhost", "[127.0.0.1]:" + isp.port());
            common.put("sender_dependent_relayhost_maps", "hash:" + sdr);
            common.put("transport_maps", "hash:" + transport);
            common.put("recipient_delimiter", "+");

            Map<String, String> postfix;
            AccessOrderInteropTest.postmapFirst(dir, sdr, transport);
            try (PostfixInstance pf = PostfixInstance.start(dir.resolve("postfix"), common)) {
                postfix = sendAll(new InetSocketAddress("127.0.0.1", pf.smtpPort()), sinks);
            }

            Path pn = dir.resolve("postern");
            Files.createDirectories(pn);
            StringBuilder main = new StringBuilder("compatibility_level = 3.6\nmynetworks = 127.0.0.0/8\nmydestination =\n"
                    + "smtpd_relay_restrictions = permit_mynetworks, reject\nmyhostname = postern.test\n"
                    + "queue_directory = " + pn.resolve("queue") + "\nmaillog_file = " + pn.resolve("maillog") + "\n");
            common.forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
            Files.writeString(pn.resolve("main.cf"), main.toString());
            Files.writeString(pn.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            Map<String, String> postern;
            try (Server s = Server.start(Server.plan(pn), new ByteArrayOutputStream())) {
                postern = sendAll(s.addresses().get(0), sinks);
            }
            assertEquals(postfix, postern);
            assertEquals("a", postfix.get("probe0"), postfix.toString());
            assertEquals("isp", postfix.get("probe1"), "Postfix: subdomains never match @domain keys");
            assertEquals("b", postfix.get("probe2"), postfix.toString());
            assertEquals("t", postfix.get("probe7"), postfix.toString());
        }
    }

    /** Submits every probe, then waits until each arrived somewhere; subject -> sink name. */
    private static Map<String, String> sendAll(InetSocketAddress server, Map<String, RecordingSink> sinks) throws Exception {
        for (int i = 0; i < PROBES.size(); i++) {
            try (SmtpTestClient c = new SmtpTestClient(server)) {
                c.reply();
                c.command("EHLO probe.example");
                assertTrue(c.command("MAIL FROM:<" + PROBES.get(i)[0] + ">").startsWith("250"));
                assertTrue(c.command("RCPT TO:<" + PROBES.get(i)[1] + ">").startsWith("250"));
                assertTrue(c.command("DATA").startsWith("354"));
                assertTrue(c.command("Subject: probe" + i + "\r\n\r\nbody\r\n.").startsWith("250"));
                c.command("QUIT");
            }
        }
        Map<String, String> where = new TreeMap<>();
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (where.size() < PROBES.size() && System.nanoTime() < deadline) {
            for (Map.Entry<String, RecordingSink> e : sinks.entrySet()) {
                RecordingSink.Message m = e.getValue().take(0);
                if (m != null) {
                    java.util.regex.Matcher subject = java.util.regex.Pattern.compile("Subject: (probe\\d+)").matcher(m.data());
                    assertTrue(subject.find(), m.data());
                    assertEquals(null, where.put(subject.group(1), e.getKey()), "delivered twice: " + subject.group(1));
                }
            }
            Thread.sleep(50);
        }
        assertEquals(PROBES.size(), where.size(), "not every probe arrived: " + where);
        assertNotNull(where);
        return where;
    }
}

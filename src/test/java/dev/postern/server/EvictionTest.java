package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * postern_smtpd_idle_eviction_time (issue 9: no number of idle clients stops legitimate mail).
 * At a service's process limit, an idle session gives its place to a client that needs one;
 * busy sessions (in DATA) never do; silent connections beyond maxproc wait greeted, and the
 * longest-silent makes room for newcomers. Real server, real sockets on loopback.
 */
class EvictionTest {
    @TempDir
    Path dir;

    private static String limited(int maxproc, String... options) {
        StringBuilder s = new StringBuilder("127.0.0.1:0 inet n - n - " + maxproc + " smtpd\n"
                + "  -o smtpd_tls_security_level=may\n"
                + "  -o smtpd_tls_req_ccert=no\n"
                + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n");
        for (String o : options) {
            s.append("  -o ").append(o).append('\n');
        }
        return s.toString();
    }

    private static final String RELAY = "relay_domains = relay.example\n";

    @Test
    void anIdleSessionGivesItsPlaceToAClientThatNeedsOneAndABusyOneNeverDoes() throws Exception {
        try (TestMta mta = TestMta.start(dir, RELAY, limited(2))) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            try (SmtpTestClient busy = new SmtpTestClient(limited); SmtpTestClient idle = new SmtpTestClient(limited);
                 SmtpTestClient late = new SmtpTestClient(limited)) {
                assertTrue(busy.reply().startsWith("220 "));
                assertTrue(idle.reply().startsWith("220 "));
                assertTrue(late.reply().startsWith("220 "), "greeted at once: silent connections take no place");
                assertTrue(busy.command("EHLO busy.example").startsWith("250"));
                assertTrue(busy.command("MAIL FROM:<a@busy.example>").startsWith("250"));
                assertTrue(busy.command("RCPT TO:<x@relay.example>").startsWith("250"));
                assertTrue(busy.command("DATA").startsWith("354"));
                assertTrue(idle.command("EHLO idle.example").startsWith("250")); // both places taken now

                long start = System.nanoTime();
                late.sendRaw("EHLO late.example\r\n");
                // The busy session goes on sending message content while the late client waits.
                for (int i = 0; i < 8; i++) {
                    busy.sendRaw("line " + i + "\r\n");
                    Thread.sleep(200); // the client's pace, not a wait for the server
                }
                String answer = late.reply();
                long waited = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(answer.startsWith("250"), answer);
                assertTrue(waited >= 900, "answered after " + waited + " ms: before the idle session had waited 1 s");
                assertTrue(waited < 10_000, "answered after " + waited + " ms");
                assertEquals("421 4.4.2 mx.postern.test Error: idle session closed, server busy", idle.reply());
                assertEquals(null, idle.reply(), "closed after the 421");

                busy.sendRaw("end-of-busy-message\r\n.\r\n");
                assertTrue(busy.reply().startsWith("250 2.0.0 Ok: queued as "), "the session in DATA was not touched");
                assertEquals("221 2.0.0 Bye", busy.command("QUIT"));
                assertEquals("221 2.0.0 Bye", late.command("QUIT"));
            }
            mta.awaitLog("idle session closed after EHLO from localhost\\[127\\.0\\.0\\.1\\]: service \"127\\.0\\.0\\.1:0\" is at"
                    + " its process limit \\(2\\) and another client needed the place", Duration.ofSeconds(5));
            mta.awaitLog("status=sent", Duration.ofSeconds(30));
            awaitNoSessions(mta);
        }
    }

    @Test
    void aFirstCommandWaitsWhileEverySessionIsBusyAndGetsTheFirstPlaceFreed() throws Exception {
        try (TestMta mta = TestMta.start(dir, RELAY, limited(1, "postern_smtpd_idle_eviction_time=1s"))) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            try (SmtpTestClient busy = new SmtpTestClient(limited); SmtpTestClient late = new SmtpTestClient(limited)) {
                assertTrue(busy.reply().startsWith("220 "));
                assertTrue(late.reply().startsWith("220 "));
                assertTrue(busy.command("EHLO busy.example").startsWith("250"));
                assertTrue(busy.command("MAIL FROM:<a@busy.example>").startsWith("250"));
                assertTrue(busy.command("RCPT TO:<x@relay.example>").startsWith("250"));
                assertTrue(busy.command("DATA").startsWith("354")); // in DATA: never evicted
                late.sendRaw("EHLO late.example\r\n");
                late.setSoTimeout(1_500);
                assertThrows(SocketTimeoutException.class, late::reply,
                        "answered while the only place was held by a session in DATA");
                late.setSoTimeout(15_000);
                busy.sendRaw("body\r\n.\r\n");
                assertTrue(busy.reply().startsWith("250 2.0.0 Ok"));
                assertEquals("221 2.0.0 Bye", busy.command("QUIT"));
                String answer = late.reply();
                assertTrue(answer.startsWith("250"), "the waiting first command is answered once the place is free: " + answer);
                assertTrue(late.command("MAIL FROM:<b@late.example>").startsWith("250"));
            }
            awaitNoSessions(mta);
        }
    }

    @Test
    void aReloadSwitchingEvictionOnServesTheClientWaitingInTheBacklog() throws Exception {
        // Postfix's behaviour first (eviction off, maxproc 1): a second client waits in the backlog
        // behind an idle one. A reload turns eviction on: the idle session gives way.
        try (TestMta mta = TestMta.start(dir, RELAY, limited(1, "postern_smtpd_idle_eviction_time=0"))) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            try (SmtpTestClient idle = new SmtpTestClient(limited); java.net.Socket waiting = new java.net.Socket()) {
                assertTrue(idle.reply().startsWith("220 "));
                assertTrue(idle.command("EHLO idle.example").startsWith("250"));
                waiting.connect(limited, 5_000);
                waiting.setSoTimeout(1_500);
                assertThrows(SocketTimeoutException.class, () -> waiting.getInputStream().read(), "served past maxproc 1");

                java.nio.file.Path master = dir.resolve("master.cf");
                java.nio.file.Files.writeString(master, java.nio.file.Files.readString(master)
                        .replace("postern_smtpd_idle_eviction_time=0", "postern_smtpd_idle_eviction_time=1s"));
                mta.server.reload(Server.plan(dir));

                waiting.setSoTimeout(15_000);
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        waiting.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
                java.io.OutputStream out = waiting.getOutputStream();
                assertTrue(in.readLine().startsWith("220 "), "accepted once the reload made room");
                out.write("EHLO waiting.example\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                String line;
                do {
                    line = in.readLine();
                } while (line != null && line.startsWith("250-"));
                assertTrue(line != null && line.startsWith("250 "), "its first command got the idle session's place: " + line);
                assertEquals("421 4.4.2 mx.postern.test Error: idle session closed, server busy", idle.reply());
            }
            awaitNoSessions(mta);
        }
    }

    /** Every open() was paired with one close(): the counts return to 0 (a leak would stall the service). */
    private static void awaitNoSessions(TestMta mta) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (mta.server.sessionCounts().values().stream().allMatch(n -> n == 0)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("sessions still counted after every client left: " + mta.server.sessionCounts());
    }

    @Test
    void silentConnectionsCannotKeepALegitimateClientOut() throws Exception {
        // 1 place, room for 5 silent clients, 30 silent connections: the legitimate client still
        // sends its message, because the longest-silent connection makes room for each newcomer.
        try (TestMta mta = TestMta.start(dir, RELAY, limited(1, "postern_smtpd_waiting_client_limit=5"))) {
            InetSocketAddress limited = mta.server.addresses().get(1);
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) {
                    Socket s = new Socket();
                    s.connect(limited, 5_000);
                    silent.add(s);
                }
                long start = System.nanoTime();
                try (SmtpTestClient legit = new SmtpTestClient(limited)) {
                    String greeting = legit.reply();
                    assertNotNull(greeting, "closed instead of greeted");
                    assertTrue(greeting.startsWith("220 "), greeting);
                    assertTrue(legit.command("EHLO legit.example").startsWith("250"));
                    assertTrue(legit.command("MAIL FROM:<l@legit.example>").startsWith("250"));
                    assertTrue(legit.command("RCPT TO:<x@relay.example>").startsWith("250"));
                    assertTrue(legit.command("DATA").startsWith("354"));
                    assertTrue(legit.command("Subject: legit-marker\r\n\r\nhello\r\n.").startsWith("250 2.0.0 Ok"));
                    assertEquals("221 2.0.0 Bye", legit.command("QUIT"));
                }
                long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
                assertTrue(took < 60_000, "took " + took + " ms");
                int closed = 0;
                for (Socket s : silent) {
                    s.setSoTimeout(500); // the evicted ones were closed before the legitimate client got in
                    if (readsToEnd(s)) {
                        closed++;
                    }
                }
                assertTrue(closed >= 20, "only " + closed + " of 30 silent connections were closed to make room");
            } finally {
                for (Socket s : silent) {
                    s.close();
                }
            }
            mta.awaitLog("idle session closed after CONNECT from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
            mta.awaitLog("status=sent", Duration.ofSeconds(30));
            awaitNoSessions(mta);
        }
    }

    /** True when the server closed the connection (after its greeting and, maybe, a 421). */
    private static boolean readsToEnd(Socket s) throws IOException {
        try {
            byte[] buf = new byte[512];
            while (s.getInputStream().read(buf) >= 0) {
                // greeting, 421
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }
}

package dev.postern.smtpd;

import dev.postern.testing.LoopbackDns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Client names by forward-confirmed reverse DNS against a loopback DNS server (postern_dns_servers):
 * a PTR whose name leads back to the address names the client; a mismatch or a silent DNS server
 * gives "unknown", the latter within the timeout and without a thread per waiting client.
 */
class PeerNameLookupTest {
    @TempDir
    Path dir;

    private static String config(String dns) {
        return "postern_dns_servers = " + dns + "\npostern_smtpd_peername_lookup_timeout = 1s\n";
    }

    private static String banner(InetSocketAddress server) throws Exception {
        try (Socket s = new Socket(server.getAddress(), server.getPort())) {
            s.setSoTimeout(15_000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
    }

    @Test
    void aPtrNameWhoseAddressMatchesNamesTheClient() throws Exception {
        try (LoopbackDns dns = new LoopbackDns().ptr("127.0.0.1", "client.example").a("client.example", "127.0.0.1");
             SmtpdHarness h = new SmtpdHarness(dir, config(dns.server()), Executors.newFixedThreadPool(2))) {
            assertTrue(banner(h.address()).startsWith("220 "));
            h.awaitLog("connect from client.example[127.0.0.1]");
            assertTrue(dns.questions.contains("1.0.0.127.in-addr.arpa PTR"), dns.questions.toString());
            assertTrue(dns.questions.contains("client.example A"), dns.questions.toString());
        }
    }

    @Test
    void aPtrNameThatDoesNotLeadBackIsUnknown() throws Exception {
        try (LoopbackDns dns = new LoopbackDns().ptr("127.0.0.1", "forged.example").a("forged.example", "192.0.2.9");
             SmtpdHarness h = new SmtpdHarness(dir, config(dns.server()), Executors.newFixedThreadPool(2))) {
            assertTrue(banner(h.address()).startsWith("220 "));
            h.awaitLog("connect from unknown[127.0.0.1]");
            h.awaitLog("warning: hostname forged.example does not resolve to address 127.0.0.1");
        }
    }

    @Test
    void aSilentDnsServerGivesUnknownWithinTheTimeoutWithoutAThreadPerClient() throws Exception {
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
             SmtpdHarness h = new SmtpdHarness(dir, config("127.0.0.1:" + silent.getLocalPort()),
                     Executors.newFixedThreadPool(2))) {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            banner(h.address()); // warm up: event loops and dnsjava's selector thread exist now
            int before = threads.getThreadCount();
            threads.resetPeakThreadCount();
            long start = System.nanoTime();
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    Socket s = new Socket(h.address().getAddress(), h.address().getPort());
                    s.setSoTimeout(15_000);
                    clients.add(s);
                }
                for (Socket s : clients) {
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
                    assertTrue(line != null && line.startsWith("220 "), line);
                }
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
            }
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertTrue(seconds < 8, "every client greeted within the 1 s lookup timeout (+ slack), took " + seconds + " s");
            int grown = threads.getPeakThreadCount() - before;
            assertTrue(grown < 20, "threads grew by " + grown + " for 200 waiting lookups");
            h.awaitLog("disconnect from"); // the log is complete up to the last greeting
            assertEquals(201, h.log().split(": connect from unknown\\[127\\.0\\.0\\.1]", -1).length - 1,
                    "every client is unknown");
        }
    }
}

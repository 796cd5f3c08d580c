package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client whose reverse DNS lookup is slow is not "silent" while the server looks it up: it is greeted, not evicted. */
class EvictionSlowPeerNameTest {
    @TempDir
    Path dir;

    @Test
    void aClientWaitingForItsOwnPeernameLookupIsNotEvictedAsSilent() throws Exception {
        try (DatagramSocket blackhole = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            String master = "127.0.0.1:0 inet n - n - 1 smtpd\n"
                    + "  -o smtpd_tls_security_level=may\n"
                    + "  -o smtpd_tls_req_ccert=no\n"
                    + "  -o postern_smtpd_waiting_client_limit=1\n"
                    + "  -o postern_smtpd_peername_lookup_timeout=4s\n"
                    + "  -o postern_dns_servers=127.0.0.1:" + blackhole.getLocalPort() + "\n"
                    + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n";
            try (TestMta mta = TestMta.start(dir, "relay_domains = relay.example\n", master)) {
                InetSocketAddress limited = mta.server.addresses().get(1);
                try (SmtpTestClient slowDns = new SmtpTestClient(limited)) {
                    long start = System.nanoTime();
                    // Another client arrives while the first one's PTR lookup runs.
                    try (SmtpTestClient other = new SmtpTestClient(limited)) {
                        String first = slowDns.reply();
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        assertTrue(first != null && first.startsWith("220 "),
                                "the slow-rDNS client was never greeted: " + first + " after " + ms + " ms");
                    }
                }
            }
        }
    }
}

package dev.postern.server;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS session resumption seen from openssl s_client: tickets (TLS 1.2 and 1.3) by default,
 * none with postern_smtpd_tls_session_tickets = no (TLS 1.2 then resumes from the session cache,
 * TLS 1.3 not at all), and no resumption of any kind with smtpd_tls_session_cache_timeout = 0.
 */
class TlsResumptionTest {
    @TempDir
    Path dir;

    /** One s_client session that says quit; returns its output (with -msg, so tickets show). */
    private static String session(TestMta mta, String version, Path sessOut, Path sessIn) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-" + version, "-starttls", "smtp",
                "-connect", "127.0.0.1:" + mta.submission().getPort(), "-CAfile", mta.pki.caFile().toString(),
                "-cert", mta.pki.goodClient().certFile().toString(), "-key", mta.pki.goodClient().keyFile().toString(),
                "-crlf", "-ign_eof", "-msg"));
        if (sessOut != null) {
            cmd.addAll(List.of("-sess_out", sessOut.toString()));
        }
        if (sessIn != null) {
            cmd.addAll(List.of("-sess_in", sessIn.toString()));
        }
        // lower-case: s_client treats a line starting with "Q" as its own quit command
        Peers.Result r = Peers.run(Duration.ofSeconds(30), "quit\n", cmd);
        assertTrue(r.out().contains("221 2.0.0"), "the session ended with QUIT: " + r.out() + r.err());
        return r.out() + r.err();
    }

    private static boolean reused(String out, String version) {
        return out.contains("Reused, " + version);
    }

    /** Tries to resume; false when it was refused or s_client had no resumable session to save. */
    private static boolean resumes(TestMta mta, String version, String protocol, Path sess) throws Exception {
        if (!java.nio.file.Files.exists(sess)) {
            return false; // TLS 1.3 without a ticket: s_client writes no session file
        }
        return reused(session(mta, version, null, sess), protocol);
    }

    @Test
    void ticketsByDefaultForTls13AndTls12() throws Exception {
        Peers.require("openssl", "openssl");
        try (TestMta mta = TestMta.start(dir, "", "")) {
            for (String[] v : new String[][] {{"tls1_3", "TLSv1.3"}, {"tls1_2", "TLSv1.2"}}) {
                Path sess = dir.resolve("sess-" + v[0]);
                String first = session(mta, v[0], sess, null);
                assertTrue(first.contains("NewSessionTicket"), v[0] + ": a ticket was issued\n" + first);
                assertTrue(reused(session(mta, v[0], null, sess), v[1]), v[0] + " resumed");
            }
        }
    }

    /**
     * Flights many times larger than the 512-byte buffer netty-tcnative keeps per connection for
     * handshake records (TlsServer.NON_APPLICATION_BUFFER): RSA-4096 server and client certificates,
     * two TLS 1.3 tickets carrying the client's certificate; each handshake completes, carries SMTP
     * and resumes.
     */
    @Test
    void largeRsa4096FlightsAndTicketsGoThroughTheSmallHandshakeBuffer() throws Exception {
        Peers.require("openssl", "openssl");
        dev.postern.ca.CertificateAuthority rsa = dev.postern.ca.CertificateAuthority.create("RSA-4096 Test CA",
                Duration.ofDays(1), dev.postern.ca.CertificateAuthority.KeyType.RSA_4096);
        rsa.issueServer("localhost", List.of("localhost"), Duration.ofDays(1))
                .writePem(dir.resolve("rsa-server-cert.pem"), dir.resolve("rsa-server-key.pem"));
        rsa.issueClient("desktop.example.org", Duration.ofDays(1))
                .writePem(dir.resolve("rsa-client-cert.pem"), dir.resolve("rsa-client-key.pem"));
        Path cas = dir.resolve("rsa-CAfile.pem");
        java.nio.file.Files.writeString(cas, rsa.certificatePem());
        String master = "127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o smtpd_tls_cert_file=" + dir.resolve("rsa-server-cert.pem") + "\n"
                + "  -o smtpd_tls_key_file=" + dir.resolve("rsa-server-key.pem") + "\n"
                + "  -o smtpd_tls_CAfile=" + cas + "\n"
                + "  -o smtpd_tls_req_ccert=yes\n  -o smtpd_enforce_tls=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n";
        try (TestMta mta = TestMta.start(dir, "", master)) {
            int port = mta.server.addresses().get(1).getPort();
            for (String[] v : new String[][] {{"tls1_3", "TLSv1.3"}, {"tls1_2", "TLSv1.2"}}) {
                Path sess = dir.resolve("rsa-sess-" + v[0]);
                String first = rsaSession(port, cas, v[0], "-sess_out", sess);
                assertTrue(first.contains("Server public key is 4096 bit"), first);
                assertTrue(first.contains("NewSessionTicket"), v[0] + ": a ticket was issued\n" + first);
                assertTrue(reused(rsaSession(port, cas, v[0], "-sess_in", sess), v[1]), v[0] + " resumed");
            }
        }
    }

    /**
     * A CA file of 200 CAs (as when an administrator points smtpd_tls_CAfile at a bundle): the
     * CertificateRequest names them all, ~20 KB written through the 512-byte handshake buffer.
     */
    @Test
    void aCertificateRequestNamingManyCasGoesThroughTheSmallHandshakeBuffer() throws Exception {
        Peers.require("openssl", "openssl");
        try (TestMta probe = TestMta.start(dir.resolve("probe"), "", "")) {
            StringBuilder bundle = new StringBuilder(java.nio.file.Files.readString(probe.pki.caFile()));
            for (int i = 0; i < 199; i++) {
                bundle.append(dev.postern.ca.CertificateAuthority.create("Bundle CA number " + i + " of a long list",
                        Duration.ofDays(1)).certificatePem());
            }
            Path cas = dir.resolve("bundle.pem");
            java.nio.file.Files.writeString(cas, bundle);
            String master = "127.0.0.1:0 inet n - n - - smtpd\n"
                    + "  -o smtpd_tls_CAfile=" + cas + "\n"
                    + "  -o smtpd_tls_req_ccert=yes\n  -o smtpd_enforce_tls=yes\n"
                    + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n";
            try (TestMta mta = TestMta.start(dir.resolve("bundle"), "", master)) {
                int port = mta.server.addresses().get(1).getPort();
                for (String v : List.of("tls1_3", "tls1_2")) {
                    Peers.Result r = Peers.run(Duration.ofSeconds(30), "quit\n", List.of("openssl", "s_client", "-" + v,
                            "-starttls", "smtp", "-connect", "127.0.0.1:" + port, "-CAfile", mta.pki.caFile().toString(),
                            // the probe's CA opens the bundle: its client certificate is the trusted one
                            "-cert", probe.pki.goodClient().certFile().toString(), "-key", probe.pki.goodClient().keyFile().toString(),
                            "-crlf", "-ign_eof"));
                    String out = r.out() + r.err();
                    assertTrue(out.contains("Bundle CA number 198 of a long list"), v + ": the request names the last CA\n" + out);
                    assertTrue(out.contains("221 2.0.0"), v + ": the session ended with QUIT\n" + mta.log()
                            + out.substring(Math.max(0, out.length() - 3000)));
                }
            }
        }
    }

    private String rsaSession(int port, Path cas, String version, String sessOption, Path sess) throws Exception {
        Peers.Result r = Peers.run(Duration.ofSeconds(30), "quit\n", List.of("openssl", "s_client", "-" + version,
                "-starttls", "smtp", "-connect", "127.0.0.1:" + port, "-CAfile", cas.toString(),
                "-cert", dir.resolve("rsa-client-cert.pem").toString(), "-key", dir.resolve("rsa-client-key.pem").toString(),
                "-crlf", "-ign_eof", "-msg", sessOption, sess.toString()));
        assertTrue(r.out().contains("221 2.0.0"), "the session ended with QUIT: " + r.out() + r.err());
        return r.out() + r.err();
    }

    @Test
    void noTicketsWhenSwitchedOff() throws Exception {
        Peers.require("openssl", "openssl");
        try (TestMta mta = TestMta.start(dir, "postern_smtpd_tls_session_tickets = no\n", "")) {
            Path s13 = dir.resolve("sess13");
            String first13 = session(mta, "tls1_3", s13, null);
            assertFalse(first13.contains("NewSessionTicket"), "no TLS 1.3 ticket\n" + first13);
            assertFalse(resumes(mta, "tls1_3", "TLSv1.3", s13), "TLS 1.3 cannot resume without tickets");
            Path s12 = dir.resolve("sess12");
            String first12 = session(mta, "tls1_2", s12, null);
            assertFalse(first12.contains("NewSessionTicket"), "no TLS 1.2 ticket\n" + first12);
            assertTrue(reused(session(mta, "tls1_2", null, s12), "TLSv1.2"), "TLS 1.2 resumes from the session cache");
        }
    }

    @Test
    void noResumptionAtAllWithACacheTimeoutOfZero() throws Exception {
        Peers.require("openssl", "openssl");
        try (TestMta mta = TestMta.start(dir, "smtpd_tls_session_cache_timeout = 0\n", "")) {
            for (String[] v : new String[][] {{"tls1_3", "TLSv1.3"}, {"tls1_2", "TLSv1.2"}}) {
                Path sess = dir.resolve("sess-" + v[0]);
                String first = session(mta, v[0], sess, null);
                assertFalse(first.contains("NewSessionTicket"), v[0] + ": no ticket\n" + first);
                assertFalse(resumes(mta, v[0], v[1], sess), v[0] + " not resumed");
            }
        }
    }
}

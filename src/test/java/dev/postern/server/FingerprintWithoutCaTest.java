package dev.postern.server;

import dev.postern.testing.Peers;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Postfix's other client-certificate setup: no CA at all (smtpd_tls_ask_ccert = yes, no
 * smtpd_tls_CAfile), relaying permitted by the certificate's fingerprint in relay_clientcerts
 * (smtpd_check.c: "Fingerprint matching works even if the issuing CA is not trusted"), here through
 * permit_tls_all_clientcerts, which then permits nothing more than the listed fingerprints. Start warns
 * that no certificate can be verified; swaks with the listed certificate relays and its mail is
 * delivered; swaks without one, or with an unlisted one, is refused.
 */
class FingerprintWithoutCaTest {
    @TempDir
    Path dir;

    @Test
    void aListedCertificateRelaysWithoutAnyTrustedCa() throws Exception {
        Peers.require("swaks", "swaks");
        TestPki pki = TestPki.create(dir.resolve("pki"));
        TestPki.Client listed = pki.badCaClient(); // issued by a CA the server does not know, as a self-signed one
        String fp = HexFormat.ofDelimiter(":").withUpperCase()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(listed.certificate().getEncoded()));
        Files.writeString(dir.resolve("relay_clientcerts"), fp + " desktop\n");
        try (RecordingSink sink = RecordingSink.start()) {
            Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\nmynetworks = 192.0.2.0/24\n"
                    + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n"
                    + "relayhost = [127.0.0.1]:" + sink.port() + "\nsmtp_tls_security_level = none\n"
                    + "smtpd_tls_cert_file = " + pki.serverCertFile() + "\nsmtpd_tls_key_file = " + pki.serverKeyFile() + "\n"
                    + "smtpd_tls_security_level = may\nsmtpd_tls_ask_ccert = yes\nsmtpd_tls_fingerprint_digest = sha256\n"
                    + "relay_clientcerts = texthash:" + dir.resolve("relay_clientcerts") + "\n"
                    + "smtpd_relay_restrictions = permit_tls_all_clientcerts, reject_unauth_destination\n");
            Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
            Plan plan = Server.plan(dir);
            assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("smtpd_tls_ask_ccert = yes but smtpd_tls_CAfile is empty")),
                    plan.warnings().toString());
            try (Server server = Server.start(plan, new ByteArrayOutputStream())) {
                String port = Integer.toString(server.addresses().get(0).getPort());
                Peers.Result ok = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + port, "--tls",
                        "--tls-cert", listed.certFile().toString(), "--tls-key", listed.keyFile().toString(),
                        "--from", "a@desktop.example.org", "--to", "b@elsewhere.example", "--body", "fingerprint-marker"));
                assertEquals(0, ok.exit(), ok.out() + ok.err());
                assertTrue(ok.out().contains("<~  250 2.0.0 Ok: queued as "), ok.out());
                RecordingSink.Message m = sink.take(30);
                assertNotNull(m, "nothing delivered");
                assertTrue(m.data().contains("fingerprint-marker"), m.data());
                Peers.Result none = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + port, "--tls",
                        "--from", "a@desktop.example.org", "--to", "b@elsewhere.example"));
                assertTrue(none.out().contains("554 5.7.1 <b@elsewhere.example>: Relay access denied"), none.out());
                // A certificate not in the table, from a CA the server does not know either: refused too.
                TestPki.Client unlisted = pki.goodClient();
                Peers.Result other = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + port, "--tls",
                        "--tls-cert", unlisted.certFile().toString(), "--tls-key", unlisted.keyFile().toString(),
                        "--from", "a@desktop.example.org", "--to", "b@elsewhere.example"));
                assertTrue(other.out().contains("554 5.7.1 <b@elsewhere.example>: Relay access denied"), other.out());
            }
        }
    }
}

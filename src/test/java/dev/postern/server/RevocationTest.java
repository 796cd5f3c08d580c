package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * postern_smtpd_tls_crl_file end to end: certificates from {@code postern ca}, revoked with {@code ca
 * revoke} + {@code ca crl}, refused by a running server; the CRL re-read without a restart; expired
 * and unreadable CRLs fail closed; an openssl-made CRL (DER) works too, and an openssl-made RSA client
 * certificate without EKU or SAN is accepted as Postfix accepts it.
 */
class RevocationTest {
    @TempDir
    Path dir;

    private static String run(int expected, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        assertEquals(expected, code, String.join(" ", args) + ":\n" + out + err);
        return out.toString();
    }

    private void client(Path ca, String cn) {
        run(0, "ca", "client", "--dir", ca.toString(), "--cn", cn, "--out-cert", dir.resolve(cn + ".pem").toString(),
                "--out-key", dir.resolve(cn + "-key.pem").toString());
    }

    /** {@code postern test} with this client certificate: 0 if it was accepted and the message delivered. */
    private String test(TestMta mta, String cn, int expected) {
        return run(expected, testArgs(mta, cn));
    }

    private String[] testArgs(TestMta mta, String cn) {
        return new String[] {"-c", dir.toString(), "test", "--timeout", "30", "--server", "127.0.0.1:" + mta.submission().getPort(),
            "--ca", dir.resolve("ca/ca-cert.pem").toString(),
            "--cert", dir.resolve(cn + ".pem").toString(), "--key", dir.resolve(cn + "-key.pem").toString()};
    }

    /**
     * {@link #test} right after the CRL file changed: the server's checker thread sees a change
     * within a second (handshakes never stat the file), so the old answer may come first; retry
     * until the expected one, with a deadline.
     */
    private String afterChange(TestMta mta, String cn, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
        while (true) {
            StringWriter out = new StringWriter();
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), testArgs(mta, cn));
            if (code == expected || System.nanoTime() > deadline) {
                assertEquals(expected, code, "postern test " + cn + " after the CRL changed:\n" + out);
                return out.toString();
            }
            Thread.sleep(200);
        }
    }

    private static final String NOT_TRUSTED = "FAIL  good certificate accepted: EHLO postern-test -> 421 4.7.1 mx.postern.test Error: Client certificate not trusted";

    @Test
    void revokedCertificatesAreRefusedAndTheCrlIsReloadedWithoutRestart() throws Exception {
        Path ca = dir.resolve("ca");
        run(0, "ca", "init", "--dir", ca.toString(), "--cn", "Revoking CA", "--key", "rsa2048");
        run(0, "ca", "server", "--dir", ca.toString(), "--cn", "localhost", "--ip", "127.0.0.1",
                "--out-cert", dir.resolve("server.pem").toString(), "--out-key", dir.resolve("server-key.pem").toString());
        client(ca, "good");
        client(ca, "stolen");
        client(ca, "later");
        run(0, "ca", "revoke", "--dir", ca.toString(), "--cert", dir.resolve("stolen.pem").toString(), "--reason", "keyCompromise");
        Path crl = dir.resolve("crl.pem");
        run(0, "ca", "crl", "--dir", ca.toString(), "--out", crl.toString());
        String main = "smtpd_tls_CAfile = " + ca.resolve("ca-cert.pem") + "\nsmtpd_tls_cert_file = " + dir.resolve("server.pem")
                + "\nsmtpd_tls_key_file = " + dir.resolve("server-key.pem") + "\npostern_smtpd_tls_crl_file = " + crl + "\n";
        try (TestMta mta = TestMta.start(dir, main, "")) {
            assertTrue(test(mta, "good", 0).contains("PASS  good certificate accepted"));
            assertTrue(test(mta, "stolen", 1).contains(NOT_TRUSTED));
            mta.awaitLog("certificate verification failed for .*: certificate revoked: serial [0-9A-F]+ since .*reason KEY_COMPROMISE", Duration.ofSeconds(10));
            assertTrue(test(mta, "later", 0).contains("PASS  good certificate accepted"));

            // A new CRL, same running server: "later" is now refused, "good" still accepted.
            run(0, "ca", "revoke", "--dir", ca.toString(), "--cert", dir.resolve("later.pem").toString());
            run(0, "ca", "crl", "--dir", ca.toString(), "--out", crl.toString());
            assertTrue(afterChange(mta, "later", 1).contains(NOT_TRUSTED));
            assertTrue(test(mta, "good", 0).contains("PASS  good certificate accepted"));

            // Expired CRL: fail closed, with the reason in the log.
            run(0, "ca", "crl", "--dir", ca.toString(), "--out", crl.toString(), "--days", "0");
            assertTrue(afterChange(mta, "good", 1).contains(NOT_TRUSTED));
            mta.awaitLog("certificate verification failed for .*: CRL .*crl.pem from /CN=Revoking CA expired at .*no client certificate is trusted", Duration.ofSeconds(10));

            // Unreadable (garbage): fail closed too.
            // The expired CRL already refused "good": handshakes until one is judged by the new file.
            Files.writeString(crl, "not a CRL\n");
            java.util.regex.Pattern garbage = java.util.regex.Pattern.compile("CRL file .*crl.pem holds no valid CRL");
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            do {
                assertTrue(test(mta, "good", 1).contains(NOT_TRUSTED));
            } while (!garbage.matcher(mta.log()).find() && System.nanoTime() < deadline);
            mta.awaitLog(garbage.pattern(), Duration.ofSeconds(10));

            // An openssl-made CRL in DER, from the same index: good accepted, stolen refused.
            Peers.require("openssl", "openssl");
            Files.writeString(dir.resolve("openssl.cnf"), "[ca]\ndefault_ca = d\n[d]\ndatabase = " + ca.resolve("index.txt")
                    + "\ncrlnumber = " + ca.resolve("crlnumber") + "\ndefault_md = sha256\ndefault_crl_days = 5\n");
            Path pem = dir.resolve("openssl-crl.pem");
            Peers.Result g = Peers.run(Duration.ofSeconds(60), null, List.of("openssl", "ca", "-gencrl", "-config",
                    dir.resolve("openssl.cnf").toString(), "-keyfile", ca.resolve("ca-key.pem").toString(), "-cert",
                    ca.resolve("ca-cert.pem").toString(), "-out", pem.toString()));
            assertEquals(0, g.exit(), g.err());
            Path der = dir.resolve("crl.der");
            Peers.Result c = Peers.run(Duration.ofSeconds(60), null, List.of("openssl", "crl", "-in", pem.toString(), "-outform", "DER",
                    "-out", der.toString()));
            assertEquals(0, c.exit(), c.err());
            Files.move(der, crl, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertTrue(afterChange(mta, "good", 0).contains("PASS  good certificate accepted"));
            assertTrue(test(mta, "stolen", 1).contains(NOT_TRUSTED));

            // An openssl-made client certificate: RSA, no EKU, CN but no SAN (TinyCA2/easy-rsa style).
            Path csr = dir.resolve("legacy.csr");
            Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", dir.resolve("legacy-key.pem").toString(), "-subj", "/CN=legacy.example.org", "-out", csr.toString()));
            assertEquals(0, r.exit(), r.err());
            List<String> sign = new ArrayList<>(List.of("openssl", "x509", "-req", "-in", csr.toString(), "-CA",
                    ca.resolve("ca-cert.pem").toString(), "-CAkey", ca.resolve("ca-key.pem").toString(), "-set_serial", "4242",
                    "-days", "30", "-out", dir.resolve("legacy.pem").toString()));
            Peers.Result s = Peers.run(Duration.ofSeconds(60), null, sign);
            assertEquals(0, s.exit(), s.err());
            // Not in the CA's index, but the CRL covers its issuer and does not list it: trusted.
            assertTrue(test(mta, "legacy", 0).contains("PASS  good certificate accepted"));
        }
    }
}

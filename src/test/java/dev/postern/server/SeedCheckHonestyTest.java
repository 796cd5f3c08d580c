package dev.postern.server;

import dev.postern.cli.Main;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern test} cannot pass for a wrong reason: a client-side failure is never counted as the
 * server's refusal; it works on implicit-TLS services; it passes against real Postfix configured
 * with the seed's lines and fails against a permissive Postfix.
 */
class SeedCheckHonestyTest {
    @TempDir
    Path dir;

    private record Run(int code, String out) {
    }

    private static Run postern(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out + err.toString());
    }

    private static List<String> certs(TestPki pki) {
        return List.of("--cert", pki.goodClient().certFile().toString(), "--key", pki.goodClient().keyFile().toString(),
                "--bad-cert", pki.badCaClient().certFile().toString(), "--bad-key", pki.badCaClient().keyFile().toString());
    }

    @Test
    void aServerNameMismatchIsAClientSideFailureNotARefusal() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            List<String> args = new ArrayList<>(List.of("-c", dir.toString(), "test", "--timeout", "30",
                    "--server", "127.0.0.1:" + mta.submission().getPort(), "--server-name", "wrong.example"));
            args.addAll(certs(mta.pki));
            Run r = postern(args.toArray(String[]::new));
            assertEquals(1, r.code(), r.out());
            assertTrue(r.out().contains("FAIL  certificate from another CA refused: TLS handshake failed on the client side"), r.out());
            assertTrue(r.out().contains("FAIL  no certificate refused: TLS handshake failed on the client side"), r.out());
            assertTrue(r.out().contains("does not cover \"wrong.example\""), r.out());
            assertFalse(r.out().contains("PASS  no certificate"), r.out());
        }
    }

    @Test
    void aClosedPortFailsEveryCheckWithItsReason() throws Exception {
        try (TestMta mta = TestMta.start(dir, "", "")) {
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            } // closed: nothing listens there any more (only connection refused is expected, never a bind)
            List<String> args = new ArrayList<>(List.of("-c", dir.toString(), "test", "--timeout", "5",
                    "--server", "127.0.0.1:" + port));
            args.addAll(certs(mta.pki));
            Run r = postern(args.toArray(String[]::new));
            assertEquals(1, r.code(), r.out());
            assertTrue(r.out().contains("0 passed, 4 failed"), r.out());
            assertTrue(r.out().contains("FAIL  no certificate refused: cannot connect"), r.out());
        }
    }

    @Test
    void implicitTlsServiceIsTestedWithTlsImplicit() throws Exception {
        String smtps = "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n  -o smtpd_tls_req_ccert=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_tls_all_clientcerts,reject\n";
        try (TestMta mta = TestMta.start(dir, "", smtps)) {
            int port = mta.server.addresses().get(1).getPort();
            List<String> args = new ArrayList<>(List.of("-c", dir.toString(), "test", "--timeout", "30",
                    "--server", "127.0.0.1:" + port, "--tls", "implicit"));
            args.addAll(certs(mta.pki));
            Run r = postern(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.out());
            assertTrue(r.out().contains("(implicit,"), r.out());
            assertTrue(r.out().contains("PASS  certificate from another CA refused: 421 4.7.1 mx.postern.test Error: Client certificate not trusted"), r.out());
            assertTrue(r.out().contains("PASS  no certificate refused: 421 4.7.1 mx.postern.test Error: No client certificate presented"), r.out());
            assertTrue(r.out().contains("4 passed, 0 failed"), r.out());
        }
    }

    @Test
    void aPermissiveServiceFails() throws Exception {
        String open = "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_tls_security_level=may\n  -o smtpd_tls_req_ccert=no\n"
                + "  -o mynetworks=127.0.0.0/8\n  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n";
        try (TestMta mta = TestMta.start(dir, "", open)) {
            int port = mta.server.addresses().get(1).getPort();
            List<String> args = new ArrayList<>(List.of("-c", dir.toString(), "test", "--timeout", "30",
                    "--server", "127.0.0.1:" + port));
            args.addAll(certs(mta.pki));
            Run r = postern(args.toArray(String[]::new));
            assertEquals(1, r.code(), r.out());
            assertTrue(r.out().contains("FAIL  plaintext MAIL refused: 250"), r.out());
            assertTrue(r.out().contains("FAIL  no certificate refused: the server accepted relaying"), r.out());
            assertTrue(r.out().contains("FAIL  certificate from another CA refused: the server accepted relaying"), r.out());
        }
    }

    private Map<String, String> postfixMain(TestPki pki, RecordingSink sink) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("myhostname", "mx.postern.test");
        m.put("relayhost", "[127.0.0.1]:" + sink.port());
        m.put("smtpd_tls_cert_file", pki.serverCertFile().toString());
        m.put("smtpd_tls_key_file", pki.serverKeyFile().toString());
        m.put("smtpd_tls_CAfile", pki.caFile().toString());
        return m;
    }

    @Test
    void passesAgainstPostfixWithTheSeedLinesAndFailsAgainstAPermissivePostfix() throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        try (RecordingSink sink = RecordingSink.start()) {
            Map<String, String> seed = postfixMain(pki, sink);
            seed.put("smtpd_tls_security_level", "encrypt");
            seed.put("smtpd_tls_req_ccert", "yes");
            seed.put("mynetworks", "192.0.2.0/24");
            seed.put("smtpd_relay_restrictions", "permit_mynetworks, permit_tls_all_clientcerts, reject");
            try (PostfixInstance pf = PostfixInstance.start(dir.resolve("seed"), seed)) {
                List<String> args = new ArrayList<>(List.of("test", "--timeout", "60", "--server", "127.0.0.1:" + pf.smtpPort(),
                        "--ca", pki.caFile().toString(), "--log", dir.resolve("seed/maillog").toString()));
                args.addAll(certs(pki));
                Run r = postern(args.toArray(String[]::new));
                assertEquals(0, r.code(), r.out() + pf.log());
                assertTrue(r.out().contains("PASS  certificate from another CA refused: 421 4.7.1"), r.out());
                assertTrue(r.out().contains("5 passed, 0 failed"), r.out());
            }
            Map<String, String> permissive = postfixMain(pki, sink);
            permissive.put("smtpd_tls_security_level", "may");
            try (PostfixInstance pf = PostfixInstance.start(dir.resolve("permissive"), permissive)) {
                List<String> args = new ArrayList<>(List.of("test", "--timeout", "60", "--server", "127.0.0.1:" + pf.smtpPort(),
                        "--ca", pki.caFile().toString(), "--log", dir.resolve("permissive/maillog").toString()));
                args.addAll(certs(pki));
                Run r = postern(args.toArray(String[]::new));
                assertEquals(1, r.code(), r.out());
                assertTrue(r.out().contains("FAIL  plaintext MAIL refused"), r.out());
                assertTrue(r.out().contains("FAIL  no certificate refused: the server accepted relaying"), r.out());
            }
        }
    }
}

package dev.postern.server;

import dev.postern.ca.IssuedCertificate;
import dev.postern.testing.Peers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AUTH EXTERNAL (RFC 4422 appendix A, RFC 4954) with Python's smtplib as the client and real
 * certificates from TestPki. The second service asks for a certificate but does not require one,
 * and relays only for {@code permit_sasl_authenticated}: a trusted certificate alone is not enough,
 * so a delivery proves that AUTH EXTERNAL is what permitted it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthExternalTest {
    private static final String TO = "someone@somewhere.else.example";

    @TempDir
    static Path dir;
    TestMta mta;
    Path emailCert;
    Path emailKey;

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir.resolve("postern"), "postern_smtpd_auth_external = yes\nsmtpd_tls_received_header = yes\n",
                "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=encrypt\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_tls_ask_ccert=yes\n"
                        + "  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject\n"
                        + "  -o smtpd_recipient_restrictions=\n");
        IssuedCertificate withEmail = mta.pki.ca().issueClient("Alice Example", List.of("alice@my.domain.example"),
                Duration.ofDays(2));
        emailCert = dir.resolve("alice-cert.pem");
        emailKey = dir.resolve("alice-key.pem");
        withEmail.writePem(emailCert, emailKey);
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    private String saslPort() {
        return Integer.toString(mta.server.addresses().get(1).getPort());
    }

    /**
     * Runs a Python smtplib session: argv = port, CA file, cert (or "-"), key (or "-"); the body
     * lines use {@code s} (an SMTP connection after STARTTLS and EHLO) and print what is asserted.
     */
    private Peers.Result python(Path cert, Path key, String... body) throws Exception {
        Peers.require("python3", "python3");
        String script = String.join("\n",
                "import smtplib, ssl, sys, base64",
                "ctx = ssl.create_default_context(cafile=sys.argv[2])",
                "ctx.check_hostname = False",
                "if sys.argv[3] != '-': ctx.load_cert_chain(sys.argv[3], sys.argv[4])",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='python.example', timeout=30)",
                "s.ehlo('python.example')",
                "print('before-tls-auth:', s.has_extn('auth'))",
                "s.starttls(context=ctx)",
                "s.ehlo('python.example')",
                "print('auth-offered:', s.esmtp_features.get('auth', 'None').strip())",
                String.join("\n", body),
                "");
        return Peers.run(Duration.ofSeconds(60), script, List.of("python3", "-", saslPort(), mta.pki.caFile().toString(),
                cert == null ? "-" : cert.toString(), key == null ? "-" : key.toString()));
    }

    @Test
    void certificateClientAuthenticatesWithEmptyAuthzidAndRelays() throws Exception {
        Peers.Result r = python(mta.pki.goodClient().certFile(), mta.pki.goodClient().keyFile(),
                "print('auth:', s.auth('EXTERNAL', lambda challenge=None: ''))",
                "print('big:', s.mail('me@my.domain.example', ['SIZE=999999999999']))",
                "print('refused:', s.sendmail('me@my.domain.example', ['" + TO + "'], "
                        + "'Subject: external\\r\\n\\r\\nexternal-empty-marker\\r\\n'))",
                "s.quit()");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("before-tls-auth: False"), r.out());
        assertTrue(r.out().contains("auth-offered: EXTERNAL"), r.out());
        assertTrue(r.out().contains("auth: (235, b'2.7.0 Authentication successful')"), r.out());
        assertTrue(r.out().contains("refused: {}"), r.out());
        String log = mta.awaitLog("client=localhost\\[127\\.0\\.0\\.1\\], sasl_method=EXTERNAL, sasl_username=desktop\\.example\\.org|"
                + "client=unknown\\[127\\.0\\.0\\.1\\], sasl_method=EXTERNAL, sasl_username=desktop\\.example\\.org", Duration.ofSeconds(20));
        assertTrue(log.contains("sasl_username=desktop.example.org"), log);
        assertTrue(r.out().contains("big: (552, b'5.3.4 Message size exceeds fixed limit')"), r.out());
        // Postfix's log_whatsup() (since 3.10) names the authenticated client in reject lines
        log = mta.awaitLog("reject: MAIL from \\S+: 552 5\\.3\\.4 Message size exceeds fixed limit;.* helo=<python\\.example> "
                + "sasl_method=EXTERNAL sasl_username=desktop\\.example\\.org\n", Duration.ofSeconds(20));
        RecordingSink.Message m = awaitDelivered("external-empty-marker");
        assertTrue(m.data().contains(" with ESMTPSA id "), m.data());
    }

    /** No initial response: the server sends "334 " and the client answers with an empty line. */
    @Test
    void continuationFormAndEmailAuthzid() throws Exception {
        String authzid = java.util.Base64.getEncoder().encodeToString("ALICE@my.domain.example".getBytes());
        Peers.Result r = python(emailCert, emailKey,
                "print('auth-start:', s.docmd('AUTH', 'EXTERNAL'))",
                "print('auth-end:', s.docmd('" + authzid + "'))",
                "print('again:', s.docmd('AUTH', 'EXTERNAL ='))",
                "print('refused:', s.sendmail('alice@my.domain.example', ['" + TO + "'], "
                        + "'Subject: external\\r\\n\\r\\nexternal-email-marker\\r\\n'))",
                "s.quit()");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("auth-start: (334, b'')"), r.out());
        assertTrue(r.out().contains("auth-end: (235, b'2.7.0 Authentication successful')"), r.out());
        assertTrue(r.out().contains("again: (503, b'5.5.1 Error: already authenticated')"), r.out());
        assertTrue(r.out().contains("refused: {}"), r.out());
        mta.awaitLog("sasl_method=EXTERNAL, sasl_username=ALICE@my\\.domain\\.example", Duration.ofSeconds(20));
        // Postfix's command tally: the 334 exchange is one AUTH (ok), the repeated AUTH a failed one.
        mta.awaitLog("disconnect from .* ehlo=2 starttls=1 auth=1/2 mail=1 rcpt=1 data=1 quit=1 commands=8/9", Duration.ofSeconds(20));
        awaitDelivered("external-email-marker");
    }

    @Test
    void authzidTheCertificateDoesNotNameIsRefused() throws Exception {
        String other = java.util.Base64.getEncoder().encodeToString("bob@my.domain.example".getBytes());
        Peers.Result r = python(emailCert, emailKey,
                "print('other:', s.docmd('AUTH', 'EXTERNAL " + other + "'))",
                "print('cn:', s.docmd('AUTH', 'EXTERNAL " + java.util.Base64.getEncoder().encodeToString("Alice Example".getBytes()) + "'))",
                "s.quit()");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("other: (535, b'5.7.8 Error: authentication failed: authorization identity not allowed "
                + "by the client certificate')"), r.out());
        assertTrue(r.out().contains("cn: (235, b'2.7.0 Authentication successful')"), r.out());
        mta.awaitLog("warning: .*: SASL EXTERNAL authentication failed: authorization identity \"bob@my\\.domain\\.example\" "
                + "is not the certificate's CN or an email address in it", Duration.ofSeconds(20));
    }

    @Test
    void trustedCertificateWithoutAuthIsNotRelayed() throws Exception {
        Peers.Result r = python(mta.pki.goodClient().certFile(), mta.pki.goodClient().keyFile(),
                "try:",
                "    s.sendmail('me@my.domain.example', ['" + TO + "'], 'Subject: x\\r\\n\\r\\nx\\r\\n')",
                "except smtplib.SMTPRecipientsRefused as e:",
                "    print('refused:', e.recipients)",
                "s.quit()");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("refused: {'" + TO + "': (554, b'5.7.1 <" + TO + ">: Relay access denied')}")
                || r.out().contains("refused: {'" + TO + "': (554, b'5.7.1 <" + TO + ">: Recipient address rejected: Access denied')}"),
                r.out());
    }

    @Test
    void notOfferedWithoutCertificateOrWithUntrustedOne() throws Exception {
        for (Path[] c : new Path[][] {{null, null}, {mta.pki.badCaClient().certFile(), mta.pki.badCaClient().keyFile()}}) {
            Peers.Result r = python(c[0], c[1],
                    "print('auth:', s.docmd('AUTH', 'EXTERNAL ='))",
                    "s.quit()");
            assertEquals(0, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("auth-offered: None"), r.out());
            assertTrue(r.out().contains("auth: (535, b'5.7.8 Error: authentication failed: no trusted client certificate')"), r.out());
        }
    }

    @Test
    void refusedBeforeTlsAndInsideATransaction() throws Exception {
        Peers.require("python3", "python3");
        String script = String.join("\n",
                "import smtplib, ssl, sys",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='python.example', timeout=30)",
                "s.ehlo('python.example')",
                "print('plain:', s.docmd('AUTH', 'EXTERNAL ='))",
                "ctx = ssl.create_default_context(cafile=sys.argv[2])",
                "ctx.check_hostname = False",
                "ctx.load_cert_chain(sys.argv[3], sys.argv[4])",
                "s.starttls(context=ctx)",
                "s.ehlo('python.example')",
                "print('mail:', s.docmd('MAIL', 'FROM:<me@my.domain.example>'))",
                "print('in-transaction:', s.docmd('AUTH', 'EXTERNAL ='))",
                "print('rset:', s.docmd('RSET'))",
                "print('plain-mech:', s.docmd('AUTH', 'PLAIN AGFsaWNlAHNlY3JldA=='))",
                "print('cancel:', s.docmd('AUTH', 'EXTERNAL'), s.docmd('*'))",
                "print('bad-base64:', s.docmd('AUTH', 'EXTERNAL %%%'))",
                "s.quit()", "");
        Peers.Result r = Peers.run(Duration.ofSeconds(60), script, List.of("python3", "-", saslPort(), mta.pki.caFile().toString(),
                mta.pki.goodClient().certFile().toString(), mta.pki.goodClient().keyFile().toString()));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("plain: (530, b'5.7.0 Must issue a STARTTLS command first')"), r.out());
        assertTrue(r.out().contains("in-transaction: (503, b'5.5.1 Error: MAIL transaction in progress')"), r.out());
        assertTrue(r.out().contains("plain-mech: (504, b'5.5.4 Unsupported authentication mechanism')"), r.out());
        assertTrue(r.out().contains("cancel: (334, b'') (501, b'5.7.0 Authentication aborted')"), r.out());
        assertTrue(r.out().contains("bad-base64: (501, b'5.5.2 Cannot decode response')"), r.out());
    }

    /** With postern_smtpd_auth_external at its default (no), AUTH is neither offered nor accepted, as Postfix without SASL. */
    @Test
    void disabledServiceSaysNotEnabled() throws Exception {
        assertFalse(mta.server.addresses().isEmpty());
        Path main = dir.resolve("off");
        try (TestMta off = TestMta.start(main, "", "")) {
            Peers.require("python3", "python3");
            String script = String.join("\n",
                    "import smtplib, ssl, sys",
                    "ctx = ssl.create_default_context(cafile=sys.argv[2])",
                    "ctx.check_hostname = False",
                    "ctx.load_cert_chain(sys.argv[3], sys.argv[4])",
                    "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='python.example', timeout=30)",
                    "s.starttls(context=ctx)",
                    "s.ehlo('python.example')",
                    "print('offered:', s.has_extn('auth'))",
                    "print('auth:', s.docmd('AUTH', 'EXTERNAL ='))",
                    "s.quit()", "");
            Peers.Result r = Peers.run(Duration.ofSeconds(60), script, List.of("python3", "-",
                    Integer.toString(off.submission().getPort()), off.pki.caFile().toString(),
                    off.pki.goodClient().certFile().toString(), off.pki.goodClient().keyFile().toString()));
            assertEquals(0, r.exit(), r.out() + r.err());
            assertTrue(r.out().contains("offered: False"), r.out());
            assertTrue(r.out().contains("auth: (503, b'5.5.1 Error: authentication not enabled')"), r.out());
        }
    }

    private RecordingSink.Message awaitDelivered(String marker) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            RecordingSink.Message m = mta.sink.take(1);
            if (m != null && m.data().contains(marker)) {
                return m;
            }
        }
        throw new AssertionError("no message containing " + marker + " reached the next hop; log:\n" + mta.log());
    }
}

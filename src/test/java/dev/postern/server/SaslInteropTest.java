package dev.postern.server;

import dev.postern.testing.DovecotAuth;
import dev.postern.testing.Peers;
import dev.postern.testing.PostfixInstance;
import dev.postern.testing.SmtpTestClient;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SMTP AUTH against a real server that demands it: a private Postfix whose smtpd authenticates
 * through a private Dovecot (smtpd_sasl_type = dovecot, passwd-file users) and relays only for
 * permit_sasl_authenticated, offering STARTTLS (and AUTH also without it, so the client's own
 * policy is what keeps the password off a plaintext connection). Postern relays to it as the
 * seed's "all other mail" smarthost. A real Postfix client with the same wrong password shows the
 * deferral Postern must match.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SaslInteropTest {
    private static final String USER = "alice@isp.example";
    private static final String PASSWORD = "s3cret:Pa55-word";

    @TempDir
    static Path shared;
    DovecotAuth dovecot;
    PostfixInstance smarthost;
    RecordingSink beyond;

    @BeforeAll
    void startSmarthost() throws Exception {
        Peers.require("/usr/sbin/postfix", "postfix");
        dovecot = DovecotAuth.start(shared.resolve("dovecot"), Map.of(USER, PASSWORD));
        TestPki pki = TestPki.create(shared.resolve("pki"));
        beyond = RecordingSink.start();
        Map<String, String> main = new HashMap<>();
        main.put("myhostname", "smtp.isp.example");
        main.put("smtpd_sasl_auth_enable", "yes");
        main.put("smtpd_sasl_type", "dovecot");
        main.put("smtpd_sasl_path", dovecot.socket().toString());
        main.put("smtpd_tls_security_level", "may");
        main.put("smtpd_tls_cert_file", pki.serverCertFile().toString());
        main.put("smtpd_tls_key_file", pki.serverKeyFile().toString());
        main.put("smtpd_tls_auth_only", "no");
        // Loopback is in mynetworks, but only SASL clients may relay.
        main.put("smtpd_relay_restrictions", "permit_sasl_authenticated, reject");
        main.put("relayhost", "[127.0.0.1]:" + beyond.port());
        smarthost = PostfixInstance.start(shared.resolve("smarthost"), main);
    }

    @AfterAll
    void stop() throws Exception {
        if (smarthost != null) {
            smarthost.close();
        }
        if (dovecot != null) {
            dovecot.close();
        }
        if (beyond != null) {
            beyond.close();
        }
    }

    private String hop() {
        return "[127.0.0.1]:" + smarthost.smtpPort();
    }

    /** Postern relaying everything to the smarthost, with a password table holding {@code password}. */
    private TestMta posternWith(Path dir, String password, String extraMain) throws Exception {
        Files.createDirectories(dir);
        Path table = dir.resolve("sasl_passwd");
        Files.writeString(table, "# next hop          credentials\n" + hop() + " " + USER + ":" + password + "\n");
        Files.setPosixFilePermissions(table, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return TestMta.start(dir, "relayhost = " + hop() + "\n"
                + "smtp_sasl_auth_enable = yes\n"
                + "smtp_sasl_password_maps = hash:" + table + "\n"
                + extraMain, "");
    }

    private static String submit(TestMta mta, String marker) throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.submission())) {
            c.reply();
            c.command("EHLO desktop");
            c.command("STARTTLS");
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            c.command("EHLO desktop");
            c.command("MAIL FROM:<me@isp.example>");
            c.command("RCPT TO:<friend@elsewhere.example>");
            c.command("DATA");
            String r = c.command("Subject: sasl\r\n\r\n" + marker + "\r\n.");
            assertTrue(r.startsWith("250 "), r);
            return r.substring(r.lastIndexOf(' ') + 1);
        }
    }

    private static void assertNoSecret(String log) {
        assertFalse(log.contains("Pa55"), log);
        assertFalse(log.contains(Base64.getEncoder().encodeToString(("\0" + USER + "\0" + PASSWORD).getBytes())), log);
    }

    @Test
    void relaysWithPlainOverTls() throws Exception {
        try (TestMta mta = posternWith(shared.resolve("ok"), PASSWORD,
                "smtp_tls_security_level = encrypt\nsmtp_sasl_tls_security_options = noanonymous\n")) {
            String qid = submit(mta, "sasl-ok-marker");
            String log = mta.awaitLog(qid + ": to=<friend@elsewhere\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                    + smarthost.smtpPort() + ", .*status=(sent|deferred|bounced)", Duration.ofSeconds(30));
            assertTrue(log.contains("dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "), log + "\nPostfix:\n" + smarthost.log());
            String pfLog = smarthost.awaitLog("client=[^,\\n]+, sasl_method=PLAIN, sasl_username=" + Pattern.quote(USER),
                    Duration.ofSeconds(20));
            // One session: STARTTLS, then AUTH, then the transaction (QUIT comes when the cached connection expires).
            smarthost.awaitLog("disconnect from [^\\n]* ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1", Duration.ofSeconds(20));
            RecordingSink.Message m = beyond.take(30);
            assertNotNull(m, "the smarthost relayed it\n" + smarthost.log());
            assertTrue(m.data().contains("sasl-ok-marker"), m.data());
            assertNoSecret(mta.log());
        }
    }

    @Test
    void wrongPasswordDefersWithTheServersReplyLikePostfix() throws Exception {
        String wrong = "not-the-Pa55";
        String postern;
        try (TestMta mta = posternWith(shared.resolve("wrong"), wrong,
                "smtp_tls_security_level = encrypt\nsmtp_sasl_tls_security_options = noanonymous\n")) {
            String qid = submit(mta, "sasl-wrong-marker");
            String log = mta.awaitLog(qid + ": to=<friend@elsewhere\\.example>, .*status=deferred", Duration.ofSeconds(30));
            Matcher m = Pattern.compile(qid + ": to=<friend@elsewhere\\.example>, relay=127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]:"
                    + smarthost.smtpPort() + ", .*(dsn=4\\.7\\.8, status=deferred \\(SASL authentication failed; server "
                    + "127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\] said: 535 5\\.7\\.8 Error: authentication failed: [^)]*\\))").matcher(log);
            assertTrue(m.find(), log);
            postern = m.group(1);
            assertTrue(mta.queuedFiles() >= 1, "still queued");
            assertNoSecret(mta.log());
        }
        // The smarthost refused the credentials and never saw a MAIL command from that session.
        smarthost.awaitLog("SASL (PLAIN|LOGIN) authentication failed", Duration.ofSeconds(20));
        // ... and was left with QUIT, as Postfix's own client does after a failed handshake (smtp_connect.c).
        smarthost.awaitLog("disconnect from [^\\n]* ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5", Duration.ofSeconds(20));
        assertNull(beyond.take(0));

        // A real Postfix client, same table, same server: the same dsn and text.
        String postfix = postfixClientDeferral("wrong", wrong, Map.of("smtp_tls_security_level", "encrypt",
                "smtp_sasl_tls_security_options", "noanonymous"));
        assertTrue(postfix.contains(postern), "Postern: " + postern + "\nPostfix client:\n" + postfix);
    }

    /**
     * Relays one message through a real Postfix client configured like Postern (relayhost, table
     * with {@code password}, the given TLS and SASL settings) and returns its deferral log line.
     */
    private String postfixClientDeferral(String name, String password, Map<String, String> settings) throws Exception {
        Path pfDir = shared.resolve("postfix-client-" + name);
        Files.createDirectories(pfDir.resolve("conf"));
        Path table = pfDir.resolve("conf/sasl_passwd");
        Files.writeString(table, hop() + " " + USER + ":" + password + "\n");
        Map<String, String> main = new HashMap<>(settings);
        main.put("myhostname", "desktop.example.org");
        main.put("relayhost", hop());
        main.put("smtp_sasl_auth_enable", "yes");
        main.put("smtp_sasl_password_maps", "hash:" + table);
        try (PostfixInstance client = PostfixInstance.start(pfDir, main)) {
            client.postmap(table);
            Peers.require("swaks", "swaks");
            Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("swaks", "--server", "127.0.0.1:" + client.smtpPort(),
                    "--from", "me@isp.example", "--to", "friend@elsewhere.example", "--body", "postfix-client-marker"));
            assertEquals(0, r.exit(), r.out());
            String log = client.awaitLog("status=deferred", Duration.ofSeconds(30));
            Matcher m = Pattern.compile("to=<friend@elsewhere\\.example>, [^\\n]*status=deferred[^\\n]*").matcher(log);
            assertTrue(m.find(), log);
            return m.group();
        }
    }

    @Test
    void noplaintextWithoutTlsNeverSendsThePassword() throws Exception {
        try (TestMta mta = posternWith(shared.resolve("plaintext"), PASSWORD, "smtp_tls_security_level = none\n")) {
            String qid = submit(mta, "sasl-plaintext-marker");
            String log = mta.awaitLog(qid + ": to=<friend@elsewhere\\.example>, .*status=deferred", Duration.ofSeconds(30));
            assertTrue(Pattern.compile(qid + ": to=<friend@elsewhere\\.example>, .*dsn=4\\.7\\.0, status=deferred \\(SASL "
                    + "authentication failed; cannot authenticate to server 127\\.0\\.0\\.1\\[127\\.0\\.0\\.1\\]: no mechanism "
                    + "available\\)").matcher(log).find(), log);
            // The smarthost offered AUTH PLAIN LOGIN without TLS; Postern said neither AUTH nor MAIL.
            smarthost.awaitLog("disconnect from [^\\n]* ehlo=1 (quit=1 )?commands=[12]\\n", Duration.ofSeconds(20));
            assertNoSecret(mta.log());
        }
        // Postfix with its default security options, over the same plaintext connection, says the same.
        String postfix = postfixClientDeferral("plaintext", PASSWORD, Map.of("smtp_tls_security_level", "none"));
        assertTrue(postfix.contains("dsn=4.7.0, status=deferred (SASL authentication failed; cannot authenticate to server "
                + "127.0.0.1[127.0.0.1]: no mechanism available)"), postfix);
    }
}

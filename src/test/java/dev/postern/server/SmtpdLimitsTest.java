package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Limits and relay control on a second service without req_ccert (TLS optional, certificate asked),
 * so a client can reach RCPT with or without a certificate.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmtpdLimitsTest {
    @TempDir
    static Path dir;
    TestMta mta;

    @BeforeAll
    void start() throws Exception {
        java.nio.file.Files.writeString(dir.resolve("senders"), "go-away@bad.example 421 4.7.0 go away\n");
        mta = TestMta.start(dir,
                "smtpd_sender_restrictions = check_sender_access texthash:" + dir.resolve("senders") + "\n"
                        + "smtpd_timeout = 2s\n"
                        + "smtpd_recipient_limit = 3\n"
                        + "message_size_limit = 2000\n"
                        + "smtpd_hard_error_limit = 5\n"
                        + "smtpd_soft_error_limit = 100\n"
                        + "smtpd_client_connection_count_limit = 3\n"
                        + "relay_domains = relay.example\n",
                "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_ask_ccert=yes\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_forbid_bare_newline=reject\n"
                        + "  -o smtpd_relay_restrictions=\n"
                        + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject_unauth_destination\n"
                        + "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_wrappermode=yes\n"
                        + "  -o smtpd_tls_req_ccert=yes\n"
                        + "  -o smtpd_recipient_restrictions=permit_tls_all_clientcerts,reject\n"
                        + "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_soft_error_limit=1\n"
                        + "  -o smtpd_error_sleep_time=1s\n"
                        + "  -o smtpd_relay_restrictions=\n"
                        + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n"
                        + "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_junk_command_limit=1\n"
                        + "  -o smtpd_hard_error_limit=2\n"
                        + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n"
                        + "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_tls_security_level=may\n"
                        + "  -o smtpd_tls_req_ccert=no\n"
                        + "  -o smtpd_per_request_deadline=yes\n"
                        + "  -o smtpd_min_data_rate=100\n"
                        + "  -o smtpd_recipient_restrictions=reject_unauth_destination\n");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    private InetSocketAddress optional() {
        return mta.server.addresses().get(1);
    }

    private SmtpTestClient session() throws Exception {
        SmtpTestClient c = new SmtpTestClient(optional());
        c.reply();
        c.command("EHLO client.example");
        return c;
    }

    @Test
    void withoutCertificateRelayingIsDenied() throws Exception {
        try (SmtpTestClient c = session()) {
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
            assertEquals("554 5.7.1 <someone@somewhere.else.example>: Relay access denied",
                    c.command("RCPT TO:<someone@somewhere.else.example>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<postmaster@relay.example>"), "relay_domains are accepted");
        }
        mta.awaitLog("NOQUEUE: reject: RCPT from localhost\\[127\\.0\\.0\\.1\\]: 554 5\\.7\\.1 "
                + "<someone@somewhere\\.else\\.example>: Relay access denied; from=<me@my\\.domain\\.example> "
                + "to=<someone@somewhere\\.else\\.example> proto=ESMTP helo=<client\\.example>", Duration.ofSeconds(5));
    }

    @Test
    void withCertificateRelayingIsAllowed() throws Exception {
        try (SmtpTestClient c = session()) {
            assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            c.command("EHLO client.example");
            c.command("MAIL FROM:<me@my.domain.example>");
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<someone@somewhere.else.example>"));
        }
    }

    @Test
    void badCertificateCannotRelay() throws Exception {
        try (SmtpTestClient c = session()) {
            c.command("STARTTLS");
            c.startTls(mta.pki.caCertificate(), mta.pki.badCaClient().certificate(), mta.pki.badCaClient().key());
            c.command("EHLO client.example");
            c.command("MAIL FROM:<me@my.domain.example>");
            assertTrue(c.command("RCPT TO:<someone@somewhere.else.example>").startsWith("554 5.7.1 "));
        }
    }

    /** smtpd_chat.c: after a 421 (here an access table's) the server hangs up, as after any 421 or 521. */
    @Test
    void aRestrictionsFourTwentyOneEndsTheSession() throws Exception {
        try (SmtpTestClient c = session()) {
            c.command("MAIL FROM:<go-away@bad.example>");
            assertEquals("421 4.7.0 <go-away@bad.example>: Sender address rejected: go away", c.command("RCPT TO:<u@relay.example>"));
            assertTrue(c.isClosedByPeer(), "the session ends after the 421");
        }
    }

    @Test
    void tooManyRecipients() throws Exception {
        try (SmtpTestClient c = session()) {
            c.command("MAIL FROM:<me@my.domain.example>");
            for (int i = 0; i < 3; i++) {
                assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<u" + i + "@relay.example>"));
            }
            // smtpd_recipient_overshoot_limit (1000): these 452s are no errors, so smtpd_hard_error_limit (5)
            // does not end the session, and the message goes with the recipients accepted (smtpd.c rcpt_cmd()).
            for (int i = 0; i < 8; i++) {
                assertEquals("452 4.5.3 Error: too many recipients", c.command("RCPT TO:<v" + i + "@relay.example>"));
            }
            assertTrue(c.command("DATA").startsWith("354 "));
            String queued = c.command("Subject: overshoot\r\n\r\nbody\r\n.");
            assertTrue(queued.startsWith("250 2.0.0 Ok: queued as "), queued);
        }
    }

    @Test
    void sizeLimitAnnouncedAndEnforced() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(optional())) {
            c.reply();
            assertTrue(c.command("EHLO client.example").contains("250-SIZE 2000"));
            assertEquals("552 5.3.4 Message size exceeds fixed limit", c.command("MAIL FROM:<me@my.domain.example> SIZE=999999"));
            c.command("MAIL FROM:<me@my.domain.example>");
            c.command("RCPT TO:<u@relay.example>");
            c.command("DATA");
            long before = mta.queuedFiles();
            assertEquals("552 5.3.4 Error: message file too big", c.command("Subject: big\r\n\r\n" + "x".repeat(5000) + "\r\n."));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"), "the session stays in sync");
            assertEquals(before, mta.queuedFiles());
        }
    }

    @Test
    void commandTooLongAndUnknownCommands() throws Exception {
        try (SmtpTestClient c = session()) {
            assertTrue(c.command("NOOP " + "x".repeat(3000)).startsWith("500 5.5.2 "), "over the limit, under twice it");
            assertEquals("500 5.5.2 Error: command not recognized", c.command("XYZZY"));
            assertEquals("502 5.5.1 VRFY command is disabled", c.command("VRFY root"));
            c.command("XYZZY");
            assertEquals("500 5.5.2 Error: command not recognized", c.command("XYZZY"));
            assertEquals("421 4.7.0 mx.postern.test Error: too many errors", c.reply(), "the 5th error ends the session");
            assertTrue(c.isClosedByPeer());
        }
    }

    @Test
    void httpRequestsAreRefused() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(optional())) {
            c.reply();
            assertEquals("221 2.7.0 Error: I can break rules, too. Goodbye.", c.command("GET /\u0001 HTTP/1.1"));
            assertTrue(c.isClosedByPeer());
        }
        mta.awaitLog("warning: non-SMTP command from localhost\\[127\\.0\\.0\\.1\\]: GET /\\\\001 HTTP/1\\.1\n", Duration.ofSeconds(5));
    }

    @Test
    void routingOperatorsAreRefused() throws Exception {
        try (SmtpTestClient c = session()) {
            c.command("MAIL FROM:<me@my.domain.example>");
            for (String bad : new String[] {"relaytest%evil.example@relay.example", "\"relaytest@evil.example\"@relay.example",
                    "relaytest@evil.example@relay.example", "evil.example!relaytest@relay.example", "user@[192.0.2.1]"}) {
                assertEquals("501 5.1.3 Bad recipient address syntax", c.command("RCPT TO:<" + bad + ">"), bad);
            }
        }
    }

    @Test
    void idleClientsTimeOut() throws Exception {
        try (SmtpTestClient c = session()) {
            long start = System.nanoTime();
            assertEquals("421 4.4.2 mx.postern.test Error: timeout exceeded", c.reply(), "the reply that ends an idle session");
            long waited = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waited >= 1500, "smtpd_timeout is 2s, the 421 came after " + waited + " ms");
        }
    }

    @Test
    void connectionCountLimit() throws Exception {
        try (SmtpTestClient a = new SmtpTestClient(optional());
             SmtpTestClient b = new SmtpTestClient(optional());
             SmtpTestClient c = new SmtpTestClient(optional())) {
            a.reply();
            b.reply();
            c.reply();
            try (SmtpTestClient d = new SmtpTestClient(optional())) {
                assertEquals("421 4.7.0 mx.postern.test Error: too many connections from 127.0.0.1", d.reply());
            }
        }
    }

    @Test
    void implicitTlsWithClientCertificate() throws Exception {
        InetSocketAddress implicit = mta.server.addresses().get(2);
        try (SmtpTestClient c = new SmtpTestClient(implicit)) {
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            String greeting = c.reply();
            assertTrue(greeting != null && greeting.startsWith("220 mx.postern.test ESMTP"), "greeting inside TLS: " + greeting);
            assertTrue(!c.command("EHLO client.example").contains("STARTTLS"), "no STARTTLS inside implicit TLS");
            c.command("MAIL FROM:<me@my.domain.example>");
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<someone@somewhere.else.example>"));
        }
        try (SmtpTestClient c = new SmtpTestClient(implicit)) {
            c.startTls(mta.pki.caCertificate(), mta.pki.badCaClient().certificate(), mta.pki.badCaClient().key());
            assertEquals("421 4.7.1 mx.postern.test Error: Client certificate not trusted", c.reply(),
                    "wrappermode answers at once, as Postfix does");
        }
    }

    @Test
    void commandSequenceErrors() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(optional())) {
            c.reply();
            c.command("EHLO client.example");
            assertEquals("503 5.5.1 Error: need MAIL command", c.command("RCPT TO:<b@relay.example>"));
            assertEquals("503 5.5.1 Error: need RCPT command", c.command("DATA")); // smtpd.c data_cmd(): no transaction
            assertEquals("501 5.5.4 Syntax: MAIL FROM:<address>", c.command("MAIL FROM:"));
            assertEquals("501 5.5.4 Syntax: MAIL FROM:<address>", c.command("MAIL TO:<a@relay.example>"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<a@relay.example>"));
        }
        try (SmtpTestClient c = session()) { // the error limit in this class is 5 per session
            c.command("MAIL FROM:<a@relay.example>");
            assertEquals("503 5.5.1 Error: nested MAIL command", c.command("MAIL FROM:<a@relay.example>"));
            assertEquals("554 5.5.1 Error: no valid recipients", c.command("DATA")); // in a transaction, no recipient
            assertEquals("553 5.6.7 Must declare SMTPUTF8 to send unicode address", c.command("RCPT TO:<b\u00c3\u00a9@relay.example>")); // é in UTF-8
            assertEquals("250 2.0.0 Ok", c.command("RSET"));
            assertEquals("503 5.5.1 Error: need MAIL command", c.command("RCPT TO:<b@relay.example>"), "RSET ends the transaction");
            assertEquals("555 5.5.4 Unsupported option: foo=1", c.command("MAIL FROM:<a@relay.example> foo=1"), "as written");
        }
    }

    @Test
    void bareLfInDataIsRejectedWhenConfigured() throws Exception {
        try (SmtpTestClient c = session()) {
            c.command("MAIL FROM:<a@relay.example>");
            c.command("RCPT TO:<b@relay.example>");
            c.command("DATA");
            long before = mta.queuedFiles();
            assertEquals("550 5.5.2 mx.postern.test Error: bare <LF> received", c.command("Subject: x\r\n\r\nline\nmore\r\n."));
            assertEquals(before, mta.queuedFiles(), "nothing queued");
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
        }
        mta.awaitLog(": reject: END-OF-MESSAGE from localhost\\[127\\.0\\.0\\.1\\]: bare <LF> received; from=<a@relay\\.example>"
                + " to=<b@relay\\.example> proto=ESMTP helo=<client\\.example>", java.time.Duration.ofSeconds(5));
    }

    /** smtpd.c smtpd_proto(): a command ending in a bare LF is refused, logged, and the session ends. */
    @Test
    void bareLfInACommandEndsTheSessionWhenConfigured() throws Exception {
        try (SmtpTestClient c = session()) {
            c.sendRaw("NOOP\n");
            assertEquals("550 5.5.2 mx.postern.test Error: bare <LF> received", c.reply());
            assertTrue(c.isClosedByPeer());
        }
        mta.awaitLog("NOQUEUE: reject: EHLO from localhost\\[127\\.0\\.0\\.1\\]: bare <LF> received; proto=ESMTP helo=<client\\.example>",
                java.time.Duration.ofSeconds(5));
    }

    @Test
    void pipeliningViolationIsRefused() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(optional())) {
            c.reply();
            c.sendRaw("EHLO client.example\r\nMAIL FROM:<a@b.example>\r\n");
            assertEquals("554 5.5.0 Error: SMTP protocol synchronization", c.reply());
            assertTrue(c.isClosedByPeer());
        }
    }

    /** Upper-case hex with colons, as Postfix's tls_fprint.c writes a digest. */
    private static String fingerprint(String algorithm, byte[] der) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (byte b : java.security.MessageDigest.getInstance(algorithm).digest(der)) {
            sb.append(sb.length() == 0 ? "" : ":").append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }

    /**
     * smtpd_tls_loglevel=2 (the seed's): the peer line exactly as Postfix's tls_server.c writes it
     * ({@code "%s: subject_CN=%s, issuer=%s, cert fingerprint=%s, pkey fingerprint=%s"}), before the
     * "certificate verification failed" line of an untrusted certificate, then the summary.
     * The digest is md5 here: the seed's main.cf has no compatibility_level (Postfix: sha256 from 3.6).
     */
    @Test
    void tlsPeerLogLinesAsPostfix() throws Exception {
        for (var cert : java.util.List.of(mta.pki.goodClient(), mta.pki.badCaClient())) {
            int from = mta.log().length();
            try (SmtpTestClient c = session()) {
                assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
                c.startTls(mta.pki.caCertificate(), cert.certificate(), cert.key());
                assertTrue(c.command("EHLO client.example").startsWith("250-"));
                c.command("QUIT");
            }
            mta.awaitLog("(?s).{" + from + "}.*disconnect from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
            boolean trusted = cert == mta.pki.goodClient();
            String issuer = trusted ? "Postern Test CA" : cert.certificate().getIssuerX500Principal().getName()
                    .replaceAll("^.*CN=([^,]*).*$", "$1");
            String peerLine = "localhost[127.0.0.1]: subject_CN=desktop.example.org, issuer=" + issuer
                    + ", cert fingerprint=" + fingerprint("MD5", cert.certificate().getEncoded())
                    + ", pkey fingerprint=" + fingerprint("MD5", cert.certificate().getPublicKey().getEncoded());
            java.util.List<String> lines = mta.log().substring(from).lines()
                    .map(l -> l.replaceFirst("^.*? postern/smtpd\\[\\d+\\]: ", ""))
                    .filter(l -> l.contains("localhost[127.0.0.1]") && (l.contains("TLS") || l.contains("subject_CN")
                            || l.contains("certificate verification")))
                    .toList();
            java.util.List<String> expected = new java.util.ArrayList<>();
            expected.add("setting up TLS connection from localhost[127.0.0.1]");
            expected.add(peerLine);
            if (!trusted) {
                expected.add("certificate verification failed for localhost[127.0.0.1]: untrusted issuer /CN=" + issuer);
            }
            assertEquals(expected, lines.subList(0, Math.min(lines.size(), expected.size())), String.join("\n", lines));
            assertTrue(lines.size() == expected.size() + 1 && lines.get(expected.size()).startsWith(
                    (trusted ? "Trusted" : "Untrusted") + " TLS connection established from localhost[127.0.0.1]: TLSv1."),
                    String.join("\n", lines));
        }
    }

    /**
     * security-vectors.md §3: {@code user@1.2.3.4} (bare IP, no brackets) is invalid in Postfix unless
     * resolve_numeric_domain=yes (trivial-rewrite resolve.c sets RESOLVE_FLAG_ERROR because
     * valid_hostname() refuses all-numeric names; smtpd.c extract_addr() then warns and answers 501),
     * whatever strict_rfc821_envelopes says.
     */
    @Test
    void numericDomainIsRefusedAsPostfixDoes() throws Exception {
        try (SmtpTestClient c = session()) {
            assertEquals("501 5.1.7 Bad sender address syntax", c.command("MAIL FROM:<me@192.0.2.1>"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
            assertEquals("501 5.1.3 Bad recipient address syntax", c.command("RCPT TO:<u@1.2.3.4>"));
            assertEquals("501 5.1.3 Bad recipient address syntax", c.command("RCPT TO:<u@123>"));
        }
        try (SmtpTestClient c = session()) {
            c.command("MAIL FROM:<me@my.domain.example>");
            assertEquals("554 5.7.1 <u@1.2.3.example>: Relay access denied", c.command("RCPT TO:<u@1.2.3.example>"),
                    "a name with a non-numeric label is a domain");
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<u@relay.example>"));
        }
        mta.awaitLog("warning: Illegal address syntax from localhost\\[127\\.0\\.0\\.1\\] in RCPT command: <u@1\\.2\\.3\\.4>",
                Duration.ofSeconds(5));
        mta.awaitLog("warning: Illegal address syntax from localhost\\[127\\.0\\.0\\.1\\] in MAIL command: <me@192\\.0\\.2\\.1>",
                Duration.ofSeconds(5));
    }

    private static long millis(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * smtpd_soft_error_limit=1, smtpd_error_sleep_time=1s. Postfix smtpd_chat.c sleeps before every
     * reply once error_count >= soft limit (smtpd.c counts an error after its reply): the first error
     * reply is prompt, then every reply (a NOOP's 250 too) waits ≥ 1s, until a message is received
     * successfully ("Forgive any previous client errors"), after which replies are prompt again.
     */
    @Test
    void softErrorLimitDelaysEveryReplyUntilAMessageIsAccepted() throws Exception {
        InetSocketAddress slow = mta.server.addresses().get(3);
        try (SmtpTestClient c = new SmtpTestClient(slow)) {
            c.reply();
            long t = System.nanoTime();
            assertTrue(c.command("EHLO client.example").startsWith("250-"));
            assertEquals("500 5.5.2 Error: command not recognized", c.command("XYZZY"));
            assertTrue(millis(t) < 900, "no delay before the first error: " + millis(t) + " ms");
            t = System.nanoTime();
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
            assertTrue(millis(t) >= 1000, "a positive reply after the error is delayed too: " + millis(t) + " ms");
            t = System.nanoTime();
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<me@my.domain.example>"));
            assertTrue(millis(t) >= 1000, "MAIL: " + millis(t) + " ms");
            t = System.nanoTime();
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<u@relay.example>"));
            assertTrue(c.command("DATA").startsWith("354 "));
            assertTrue(millis(t) >= 2000, "RCPT and DATA: " + millis(t) + " ms");
            t = System.nanoTime();
            assertTrue(c.command("Subject: s\r\n\r\nx\r\n.").startsWith("250 2.0.0 Ok: queued as "));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
            assertTrue(millis(t) < 900, "errors are forgiven after a message is accepted: " + millis(t) + " ms");
            t = System.nanoTime();
            assertEquals("500 5.5.2 Error: command not recognized", c.command("XYZZY"));
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
            assertTrue(millis(t) >= 1000, "QUIT after a new error: " + millis(t) + " ms");
        }
    }

    /**
     * smtpd_junk_command_limit=1, smtpd_hard_error_limit=2. smtpd.c, after each HELO/EHLO/RSET/NOOP/
     * VRFY/ETRN reply: {@code if (junk_cmds++ > var_smtpd_junk_cmd_limit) error_count++}; the loop then
     * checks the hard limit before reading the next command. EHLO is junk 0, NOOPs 1 and 2, so the
     * 2nd NOOP is the first error and the 3rd the second: 421 right after its 250.
     */
    @Test
    void junkCommandsCountAsErrorsAsInPostfix() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.server.addresses().get(4))) {
            c.reply();
            assertTrue(c.command("EHLO client.example").startsWith("250-"));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
            assertEquals("250 2.0.0 Ok", c.command("NOOP"));
            assertEquals("421 4.7.0 mx.postern.test Error: too many errors", c.reply());
            assertTrue(c.isClosedByPeer());
        }
    }

    /** Sends {@code text} one piece every {@code pauseMillis}; stops early when the server hangs up. */
    private static void trickle(SmtpTestClient c, String[] pieces, long pauseMillis) throws Exception {
        for (String piece : pieces) {
            try {
                c.sendRaw(piece);
            } catch (java.io.IOException e) {
                return;
            }
            Thread.sleep(pauseMillis);
        }
    }

    private static String[] split(String s, int size) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < s.length(); i += size) {
            out.add(s.substring(i, Math.min(s.length(), i + size)));
        }
        return out.toArray(String[]::new);
    }

    /**
     * security-vectors.md L7 with smtpd_per_request_deadline=yes (smtpd_timeout=2s): one byte every
     * 300 ms on a command line does not extend the deadline; the client is cut off ~2s after the
     * last reply, as Postfix 3.7+ does.
     */
    @Test
    void perRequestDeadlineCutsOffASlowlorisCommand() throws Exception {
        try (SmtpTestClient c = new SmtpTestClient(mta.server.addresses().get(5))) {
            c.reply();
            assertTrue(c.command("EHLO client.example").startsWith("250-"));
            long t = System.nanoTime();
            trickle(c, split("NOOP NOOP NOOP NOOP", 1), 300); // ~5.7 s if never cut off
            assertEquals("421 4.4.2 mx.postern.test Error: timeout exceeded", c.reply());
            long ms = millis(t);
            assertTrue(ms >= 1800 && ms < 4500, "cut off after the 2s deadline, not extended by each byte: " + ms + " ms");
            assertTrue(c.isClosedByPeer());
        }
        mta.awaitLog("timeout after EHLO from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
    }

    /**
     * A client that sends commands and never reads the replies: the server stops reading once its
     * replies cannot be written (memory bounded: the client's writes block), and smtpd_timeout
     * (2 s) then closes the connection, as Postfix's blocked write() times out.
     */
    @Test
    void aClientThatNeverReadsItsRepliesIsStoppedAndCutOff() throws Exception {
        java.net.Socket s = new java.net.Socket();
        s.setReceiveBufferSize(4096);
        s.connect(optional(), 5_000);
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Throwable> ended = new java.util.concurrent.atomic.AtomicReference<>();
        byte[] noops = "HELP\r\n".repeat(10_000).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        Thread writer = new Thread(() -> {
            try {
                java.io.OutputStream out = s.getOutputStream();
                out.write("EHLO client.example\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                Thread.sleep(200); // EHLO ends a pipelining group (smtpd_forbid_unauth_pipelining)
                while (true) {
                    out.write(noops);
                    written.addAndGet(noops.length);
                }
            } catch (Throwable t) {
                ended.set(t);
            }
        });
        long t = System.nanoTime();
        writer.start();
        writer.join(30_000);
        boolean cut = !writer.isAlive();
        s.close(); // unblocks the writer if the server never closed
        writer.join(5_000);
        assertTrue(cut, "still connected after 30 s of never reading; the client wrote " + written.get() + " bytes");
        assertTrue(millis(t) < 20_000, "cut after " + millis(t) + " ms");
        assertTrue(written.get() < 64L * 1024 * 1024, "the server kept reading: " + written.get() + " bytes taken");
        mta.awaitLog("timeout after HELP from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
    }

    /** The default (smtpd_per_request_deadline=no): smtpd_timeout is per read, so each byte restarts it. */
    @Test
    void perReadTimeoutIsRestartedByEachByte() throws Exception {
        try (SmtpTestClient c = session()) {
            trickle(c, split("NOOP NOOP", 1), 400); // 3.6 s in all, longer than smtpd_timeout=2s
            assertEquals("250 2.0.0 Ok", c.command(""), "still connected after 3.6 s of trickling");
        }
    }

    /**
     * smtpd_min_data_rate=100 with per-request deadlines (smtpd_timeout=2s): DATA content at 5 bytes/s
     * gains 20 ms per read and times out after about smtpd_timeout; content at ~475 bytes/s keeps the
     * deadline ahead (each read adds N/100 s, capped at smtpd_timeout from now) and is accepted even
     * though the transfer takes longer than smtpd_timeout.
     */
    /** A session on {@code listener} that has just been answered 354 to DATA. */
    private static SmtpTestClient dataOn(InetSocketAddress listener) throws Exception {
        SmtpTestClient c = new SmtpTestClient(listener);
        c.reply();
        c.command("EHLO client.example");
        c.command("MAIL FROM:<me@my.domain.example>");
        c.command("RCPT TO:<u@relay.example>");
        assertTrue(c.command("DATA").startsWith("354 "));
        return c;
    }

    @Test
    void minDataRateDuringData() throws Exception {
        try (SmtpTestClient c = dataOn(mta.server.addresses().get(5))) {
            String body = "Subject: fast\r\n\r\n" + "012345678901234567890123456789012345\r\n".repeat(46);
            long t = System.nanoTime();
            trickle(c, split(body, 190), 400); // ~1850 bytes in ~4 s
            assertTrue(millis(t) > 2500, "the transfer outlasted smtpd_timeout");
            String r = c.command(".");
            assertTrue(r.startsWith("250 2.0.0 Ok: queued as "), "fast enough: accepted: " + r);
        }
        try (SmtpTestClient c = dataOn(mta.server.addresses().get(5))) {
            long t = System.nanoTime();
            trickle(c, split("Subject: slow\r\n\r\n" + "x".repeat(30), 2), 400); // 5 bytes/s for ~9 s
            assertEquals("421 4.4.2 mx.postern.test Error: timeout exceeded", c.reply());
            long ms = millis(t);
            assertTrue(ms >= 1800 && ms < 4500, "too slow: cut off near smtpd_timeout: " + ms + " ms");
        }
        mta.awaitLog("timeout after DATA \\(\\d+ bytes\\) from localhost\\[127\\.0\\.0\\.1\\]", Duration.ofSeconds(5));
    }
}

package dev.postern.server;

import dev.postern.testing.SmtpTestClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * security-vectors.md §1.2 end to end: every S1–S12 end-of-data look-alike, sent inside a real TLS
 * session with a trusted client certificate to a started Postern, in one write together with a
 * smuggled second transaction. Exactly one reply comes back for the whole DATA stream, nothing
 * answers the smuggled MAIL/RCPT/DATA, and:
 * <ul>
 * <li>with smtpd_forbid_bare_newline=normalize (the seed's default, Postfix ≥ 3.9's default) exactly
 *     one message is queued and relayed, the smuggled transaction is its content, and what reaches
 *     the next hop has no stray CR/LF (the {@link RecordingSink} splits lines at a lone CR or LF the
 *     way a lenient server B would, so a stray one would end its DATA early and show up there as a
 *     second message or a truncated first one);</li>
 * <li>with smtpd_forbid_bare_newline=reject the vectors holding a bare LF get one
 *     {@code 550 5.5.2 mx.postern.test Error: bare <LF> received} and nothing is queued; the others as above.</li>
 * </ul>
 * Each vector is tried right after the body text ("body one" + Sx, as smtpsmug sends it) and after a
 * complete line ("body one\r\n" + Sx, as in the §1.2 dialogue).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmugglingTest {
    @TempDir
    static Path dir;
    TestMta mta;

    static final String[][] VECTORS = {
            {"S1", "\n.\n"}, {"S2", "\n.\r"}, {"S3", "\r.\n"}, {"S4", "\r.\r"}, {"S5", "\n.\r\n"}, {"S6", "\r.\r\n"},
            {"S7", "\r\n.\n"}, {"S8", "\r\n.\r"}, {"S9", "\r\n.\r\r\n"}, {"S10", "\r\r\n.\r\r\n"},
            {"S11", "\r\n\u0000.\r\n"}, {"S12", "\r\n.\u0000\r\n"},
    };

    static final String SMUGGLED = "MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
            + "From: ceo@victim.test\r\nSubject: SMUGGLED\r\n\r\nsmuggled body\r\n.\r\n";

    @BeforeAll
    void start() throws Exception {
        mta = TestMta.start(dir, "",
                "127.0.0.1:0 inet n - n - - smtpd\n"
                        + "  -o smtpd_enforce_tls=yes\n"
                        + "  -o smtpd_tls_req_ccert=yes\n"
                        + "  -o smtpd_forbid_bare_newline=reject\n"
                        + "  -o smtpd_recipient_restrictions=permit_tls_all_clientcerts,reject\n");
    }

    @AfterAll
    void stop() throws Exception {
        mta.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String policy : List.of("normalize", "reject")) {
            for (String[] v : VECTORS) {
                all.add(Arguments.of(policy, v[0], v[1], false));
                all.add(Arguments.of(policy, v[0], v[1], true));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} {1} after full line: {3}")
    @MethodSource("cases")
    void smuggledTransactionIsNeverExecuted(String policy, String id, String sequence, boolean afterCrlf) throws Exception {
        InetSocketAddress service = policy.equals("normalize") ? mta.submission() : mta.server.addresses().get(1);
        String data = "From: alice@example.test\r\nSubject: one " + id + "\r\n\r\nbody one" + (afterCrlf ? "\r\n" : "")
                + sequence + SMUGGLED;
        boolean bareLf = data.replace("\r\n", "").contains("\n");
        boolean rejected = policy.equals("reject") && bareLf;
        long queuedBefore = mta.queuedFiles();
        String reply;
        try (SmtpTestClient c = new SmtpTestClient(service)) {
            assertTrue(c.reply().startsWith("220 "));
            c.command("EHLO fred");
            assertEquals("220 2.0.0 Ready to start TLS", c.command("STARTTLS"));
            c.startTls(mta.pki.caCertificate(), mta.pki.goodClient().certificate(), mta.pki.goodClient().key());
            assertTrue(c.command("EHLO fred").startsWith("250-"));
            assertEquals("250 2.1.0 Ok", c.command("MAIL FROM:<alice@example.test>"));
            assertEquals("250 2.1.5 Ok", c.command("RCPT TO:<bob@example.test>"));
            assertTrue(c.command("DATA").startsWith("354 "));
            c.sendRaw(data); // one write: the message, the look-alike, the smuggled transaction, CRLF.CRLF
            reply = c.reply();
            assertEquals("250 2.0.0 Ok", c.command("NOOP"), "exactly one reply for the DATA stream; nothing else pending");
            assertEquals("221 2.0.0 Bye", c.command("QUIT"));
        }
        if (rejected) {
            assertEquals("550 5.5.2 mx.postern.test Error: bare <LF> received", reply);
            assertEquals(queuedBefore, mta.queuedFiles(), "nothing queued");
            return;
        }
        assertTrue(reply.matches("250 2\\.0\\.0 Ok: queued as [0-9A-F]+"), reply);
        String qid = reply.substring(reply.lastIndexOf(' ') + 1);
        RecordingSink.Message m = mta.sink.take(20);
        assertNotNull(m, "the message was never relayed");
        mta.awaitLog(qid + ": removed", Duration.ofSeconds(20));
        assertEquals(0, mta.sink.pending(), "exactly one message reached the next hop");
        assertEquals("<alice@example.test>", m.mailFrom());
        assertEquals(List.of("<bob@example.test>"), m.rcptTo());
        String body = m.data();
        assertTrue(body.contains("Subject: one " + id + "\r\n"), body);
        assertTrue(body.contains("MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"),
                "the smuggled commands are content:\n" + body);
        assertTrue(body.endsWith("Subject: SMUGGLED\r\n\r\nsmuggled body\r\n"), "nothing was cut off:\n" + body);
        assertFalse(mta.log().contains("from=<ceo@victim.test>"), "no transaction for the smuggled sender");
    }
}

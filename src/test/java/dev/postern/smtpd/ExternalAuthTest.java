package dev.postern.smtpd;

import dev.postern.mail.Reply;
import dev.postern.tls.PeerCertificate;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The AUTH EXTERNAL exchange on its own: which authorization identities a certificate allows, and the replies. */
class ExternalAuthTest {
    private static final PeerCertificate ALICE = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "Alice", "CA",
            "AA", "BB", List.of("alice@example.org", "a@example.net"));
    private static final PeerCertificate NO_CN = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "", "CA",
            "AA", "BB", List.of("box@example.org"));
    private static final PeerCertificate NOTHING = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "", "CA",
            "AA", "BB", List.of());

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String code(Reply r) {
        return r.code() + " " + r.enhanced();
    }

    @Test
    void emptyAuthzidIsTheCnOrElseTheFirstEmail() {
        ExternalAuth a = new ExternalAuth(true);
        assertEquals("AUTH EXTERNAL", a.ehloKeyword(true, ALICE));
        assertEquals("235 2.7.0", code(a.command("EXTERNAL =", true, ALICE, false)));
        assertEquals("Alice", a.username());
        assertNull(a.ehloKeyword(true, ALICE), "not offered again once authenticated");
        ExternalAuth b = new ExternalAuth(true);
        assertEquals("235 2.7.0", code(b.command("external =", true, NO_CN, false)));
        assertEquals("box@example.org", b.username());
        ExternalAuth c = new ExternalAuth(true);
        assertEquals("535 5.7.8", code(c.command("EXTERNAL =", true, NOTHING, false)));
        assertNull(c.username());
        assertTrue(c.failure().contains("neither a CN nor an email address"), c.failure());
    }

    @Test
    void authzidMustBeTheCnExactlyOrAnEmailInAnyCase() {
        for (String ok : List.of("Alice", "ALICE@example.org", "a@EXAMPLE.net")) {
            ExternalAuth a = new ExternalAuth(true);
            assertEquals("235 2.7.0", code(a.command("EXTERNAL " + b64(ok), true, ALICE, false)), ok);
            assertEquals(ok, a.username());
        }
        for (String bad : List.of("alice", "bob@example.org", "Alice ")) {
            ExternalAuth a = new ExternalAuth(true);
            assertEquals("535 5.7.8", code(a.command("EXTERNAL " + b64(bad), true, ALICE, false)), bad);
            assertNull(a.username());
        }
    }

    @Test
    void continuationAndItsFailures() {
        ExternalAuth a = new ExternalAuth(true);
        Reply challenge = a.command("EXTERNAL", true, ALICE, false);
        assertEquals("334 \r\n", challenge.toWire());
        assertTrue(a.awaitingResponse());
        assertEquals("235 2.7.0", code(a.response("", ALICE)));
        assertEquals("Alice", a.username());
        ExternalAuth b = new ExternalAuth(true);
        b.command("EXTERNAL", true, ALICE, false);
        assertEquals("501 5.7.0", code(b.response("*", ALICE)));
        b.command("EXTERNAL", true, ALICE, false);
        assertEquals("501 5.5.2", code(b.response("!!!", ALICE)));
        assertEquals("235 2.7.0", code(b.command("EXTERNAL " + b64("a@example.net"), true, ALICE, false)));
        assertEquals("503 5.5.1", code(b.command("EXTERNAL =", true, ALICE, false)), "AUTH twice");
    }

    @Test
    void neverWithoutTlsATrustedCertificateOrOutsideATransaction() {
        PeerCertificate untrusted = new PeerCertificate(PeerCertificate.Status.UNTRUSTED, "untrusted issuer /CN=X", "Alice",
                "X", "AA", "BB");
        ExternalAuth a = new ExternalAuth(true);
        assertNull(a.ehloKeyword(false, ALICE));
        assertNull(a.ehloKeyword(true, untrusted));
        assertNull(a.ehloKeyword(true, PeerCertificate.NONE));
        assertEquals("538 5.7.11", code(a.command("EXTERNAL =", false, ALICE, false)));
        assertEquals("535 5.7.8", code(a.command("EXTERNAL =", true, untrusted, false)));
        assertTrue(a.failure().contains("untrusted issuer"), a.failure());
        assertEquals("535 5.7.8", code(a.command("EXTERNAL =", true, PeerCertificate.NONE, false)));
        assertEquals("503 5.5.1", code(a.command("EXTERNAL =", true, ALICE, true)));
        assertEquals("504 5.5.4", code(a.command("PLAIN AGEAYg==", true, ALICE, false)));
        assertEquals("501 5.5.4", code(a.command("", true, ALICE, false)));
        assertNull(a.username());
        ExternalAuth off = new ExternalAuth(false);
        assertNull(off.ehloKeyword(true, ALICE));
        assertEquals("503 5.5.1", code(off.command("EXTERNAL =", true, ALICE, false)));
    }
}

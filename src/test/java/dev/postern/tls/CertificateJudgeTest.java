package dev.postern.tls;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.ca.Profile;
import org.junit.jupiter.api.Test;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verdict cache: a client's next connection reuses the verdict, but never past the certificate's expiry. */
class CertificateJudgeTest {
    @Test
    void aCachedVerdictEndsWhenTheCertificateExpires() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("Judge Test CA", Duration.ofDays(1));
        // X.509 times have whole seconds: expires at the start of the second after next
        Instant notAfter = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(2);
        IssuedCertificate c = ca.issue("short.example.org", Profile.CLIENT, List.of(),
                Instant.now().minus(Duration.ofDays(1)), notAfter);
        CertificateJudge judge = new CertificateJudge(List.of(ca.certificate()), "sha256");
        X509Certificate[] chain = {c.certificate()};

        PeerCertificate first = judge.judge(chain);
        assertTrue(first.trusted(), first.failure());
        assertSame(first, judge.judge(chain), "the second connection gets the cached verdict");

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.currentTimeMillis() <= c.certificate().getNotAfter().getTime()) { // the condition: expiry passed
            assertTrue(System.nanoTime() < deadline, "the clock did not pass " + notAfter);
            Thread.sleep(20);
        }
        PeerCertificate after = judge.judge(chain);
        assertFalse(after.trusted(), "trusted after its expiry");
        assertEquals("certificate has expired", after.failure());
    }
}

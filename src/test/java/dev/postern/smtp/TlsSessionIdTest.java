package dev.postern.smtp;

import dev.postern.tls.ClientTlsOptions;
import dev.postern.tls.ClientTlsSettings;
import dev.postern.tls.TlsLevel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The session cache key: Postfix's serverid fields, then a digest of everything else that makes a session acceptable. */
class TlsSessionIdTest {
    private static final SmtpClientSettings S = new SmtpClientSettings("desktop.example", Duration.ofSeconds(5),
            Duration.ofSeconds(5), Duration.ofSeconds(5), "may", new ClientTlsSettings(null, null, null, ">=TLSv1.2"),
            ">=TLSv1.2", 1, List.of(), List.of("nexthop", "dot-nexthop"), List.of("hostname"),
            Duration.ofSeconds(2), Duration.ofSeconds(300), 0);
    private static final NextHop HOP = NextHop.parse("[mail.example.org]:587");
    private static final TlsPolicy SECURE = new TlsPolicy(TlsLevel.SECURE, List.of(), "", "", List.of(), "test");
    private static final ClientTlsOptions OPTIONS = new ClientTlsOptions(">=TLSv1.2", "medium", List.of());

    private static String id(String transport, NextHop hop, String host, String address, int port, TlsPolicy p,
                             ClientTlsOptions o, String sni, String ehlo) {
        return TlsSessionId.of(transport, hop, host, address, port, p, o, sni, ehlo, S);
    }

    private static String base() {
        return id("smtp", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, OPTIONS, null, "mail.example.org");
    }

    @Test
    void postfixsFieldsThenTheDigest() {
        String id = base();
        assertTrue(id.matches("smtp&\\[mail\\.example\\.org]:587&mail\\.example\\.org&192\\.0\\.2\\.1&587&secure&&[0-9A-F]{64}"), id);
        assertEquals(id, base(), "the same server and settings, the same key");
        String odd = id("my&transport", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, OPTIONS, null, "x");
        assertTrue(odd.startsWith("bXkmdHJhbnNwb3J0&"), "a field with the delimiter is base64, as smtp_key.c: " + odd);
    }

    @Test
    void everyPartTellsSessionsApart() {
        List<String> ids = List.of(base(),
                id("relay", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, OPTIONS, null, "mail.example.org"),
                id("smtp", NextHop.parse("[mail.example.org]:25"), "mail.example.org", "192.0.2.1", 587, SECURE, OPTIONS, null, "mail.example.org"),
                id("smtp", HOP, "mx.example.org", "192.0.2.1", 587, SECURE, OPTIONS, null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.2", 587, SECURE, OPTIONS, null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 588, SECURE, OPTIONS, null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587,
                        new TlsPolicy(TlsLevel.VERIFY, List.of(), "", "", List.of(), "test"), OPTIONS, null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587,
                        new TlsPolicy(TlsLevel.ENCRYPT, List.of(), "", "", List.of(), "test"), OPTIONS, null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587,
                        new TlsPolicy(TlsLevel.SECURE, List.of("mail.example.org"), "", "", List.of(), "test"), OPTIONS, null,
                        "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587,
                        new TlsPolicy(TlsLevel.FINGERPRINT, List.of("AA:BB"), "", "", List.of(), "test"), OPTIONS, null,
                        "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587,
                        new TlsPolicy(TlsLevel.FINGERPRINT, List.of("AA:BC"), "", "", List.of(), "test"), OPTIONS, null,
                        "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, new ClientTlsOptions("TLSv1.3", "medium", List.of()),
                        null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, new ClientTlsOptions(">=TLSv1.2", "high", List.of()),
                        null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587, SECURE,
                        new ClientTlsOptions(">=TLSv1.2", "medium", List.of("CHACHA20")), null, "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, OPTIONS, "mail.example.org", "mail.example.org"),
                id("smtp", HOP, "mail.example.org", "192.0.2.1", 587, SECURE, OPTIONS, null, "lb2.example.org"));
        Set<String> distinct = new HashSet<>(ids);
        assertEquals(ids.size(), distinct.size(), String.join("\n", ids));
    }
}

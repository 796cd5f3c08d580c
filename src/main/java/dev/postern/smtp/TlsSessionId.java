package dev.postern.smtp;

import dev.postern.tls.ClientTlsOptions;
import dev.postern.tls.TlsLevel;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The key of a server's cached TLS sessions, as Postfix builds it: smtp_proto.c's serverid
 * (smtp_key_prefix() with the service, the current next hop with its port, the server's host name
 * and address, and the TLS level), suffixed by tls_fprint.c's tls_serverid_digest(): a SHA-256
 * digest of what else decides whether a session is acceptable, the server's EHLO name, the
 * protocols, the cipher grade and exclusions, the SNI name, the certificate names or fingerprints
 * to match. Postern adds the port and the match names (Postfix leaves names out: its cached
 * session carries the verdict, while Postern judges every handshake again). For example
 * {@code smtp&[mail.example.org]:587&mail.example.org&192.0.2.1&587&secure&&3f0a...}. A field
 * holding {@code &} is written in base64, as smtp_key.c does.
 */
final class TlsSessionId {
    private TlsSessionId() {}

    static String of(String transport, NextHop hop, String host, String address, int port, TlsPolicy policy,
                     ClientTlsOptions options, String sni, String ehloName, SmtpClientSettings s) {
        StringBuilder id = new StringBuilder();
        for (String field : List.of(transport, hop.text(), host, address, Integer.toString(port), policy.level().word())) {
            id.append(field.indexOf('&') < 0 ? field
                    : Base64.getEncoder().encodeToString(field.getBytes(StandardCharsets.UTF_8))).append('&');
        }
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has it
        }
        boolean names = policy.level() == TlsLevel.VERIFY || policy.level() == TlsLevel.SECURE;
        boolean fingerprints = policy.level() == TlsLevel.FINGERPRINT;
        for (String part : List.of(ehloName == null ? "" : ehloName, options.protocols(), options.cipherGrade(),
                String.join(":", options.exclude()), sni == null ? "" : sni,
                names ? String.join(":", policy.nameMatch(s)) : "",
                fingerprints ? String.join("|", policy.match()) + " " + s.tlsDefaults().fingerprintDigest() : "")) {
            byte[] b = part.getBytes(StandardCharsets.UTF_8);
            md.update(new byte[] {(byte) (b.length >>> 24), (byte) (b.length >>> 16), (byte) (b.length >>> 8), (byte) b.length});
            md.update(b);
        }
        return id.append('&').append(HexFormat.of().withUpperCase().formatHex(md.digest())).toString();
    }
}

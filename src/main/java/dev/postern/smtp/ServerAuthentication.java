package dev.postern.smtp;

import dev.postern.tls.ServerCertificateCheck;
import dev.postern.tls.TlsClient;
import dev.postern.tls.TlsLevel;

import javax.net.ssl.SSLSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The verdict on a next hop's certificate after the handshake, by TLS level: fingerprint compares
 * the leaf certificate's or its public key's digest with match= (smtp_tls_fingerprint_digest; no
 * CA, no expiry), verify and secure need a chain to smtp_tls_CAfile and a name from match= or
 * smtp_tls_verify_cert_match / smtp_tls_secure_cert_match. {@code trust} is Postfix's word for the
 * log line: Verified, Trusted, Untrusted (or Anonymous when nothing was checked).
 */
record ServerAuthentication(String trust, String failure) {
    boolean ok() {
        return failure == null;
    }

    /** {@code serverName}: the name the server was found under (the MX host), Postfix's "hostname". */
    static ServerAuthentication judge(TlsClient tls, SSLSession session, TlsPolicy policy, NextHop hop, String serverName,
                                      SmtpClientSettings s) {
        if (policy.level() == TlsLevel.FINGERPRINT) {
            String digest = s.tlsDefaults().fingerprintDigest();
            if (TlsClient.fingerprintMatches(session, policy.match(), digest)) {
                return new ServerAuthentication("Verified", null);
            }
            return new ServerAuthentication("Untrusted", "certificate fingerprint mismatch: " + digest + " fingerprint "
                    + TlsClient.certificateFingerprint(session, digest) + " is not in match=");
        }
        boolean verifies = policy.level() == TlsLevel.VERIFY || policy.level() == TlsLevel.SECURE;
        if (!verifies && s.tlsLogLevel() <= 0) {
            return new ServerAuthentication("Anonymous", null); // nothing is checked, nor logged
        }
        List<String> match = verifies ? policy.nameMatch(s) : s.verifyMatch();
        boolean subdomains = match.stream().anyMatch(m -> m.equalsIgnoreCase("dot-nexthop"));
        List<String> names = new ArrayList<>();
        for (String m : match) {
            String lm = m.toLowerCase(Locale.ROOT);
            names.add(lm.equals("hostname") ? serverName : lm.equals("nexthop") || lm.equals("dot-nexthop") ? hop.domain() : m);
        }
        ServerCertificateCheck check = tls.check(session, names, subdomains);
        if (verifies && !(check.trusted() && check.matched())) {
            return new ServerAuthentication(check.trustWord(), check.problem());
        }
        // As Postfix: names are matched only at the levels that require it, so may and encrypt
        // log Trusted or Untrusted, never Verified.
        return new ServerAuthentication(verifies ? check.trustWord() : check.trusted() ? "Trusted" : "Untrusted", null);
    }
}

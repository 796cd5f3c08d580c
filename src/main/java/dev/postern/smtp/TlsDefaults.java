package dev.postern.smtp;

import java.util.List;

/**
 * The SMTP client's TLS parameters beyond files and protocols: smtp_tls_fingerprint_digest,
 * smtp_tls_fingerprint_cert_match, smtp_tls_ciphers, smtp_tls_mandatory_ciphers,
 * smtp_tls_exclude_ciphers, smtp_tls_mandatory_exclude_ciphers and smtp_tls_servername.
 */
public record TlsDefaults(String fingerprintDigest, List<String> fingerprintMatch, String ciphers, String mandatoryCiphers,
                          List<String> exclude, List<String> mandatoryExclude, String serverName) {
    /** Postfix's defaults at compatibility level 3.6 and later. */
    public static final TlsDefaults POSTFIX = new TlsDefaults("sha256", List.of(), "medium", "medium", List.of(), List.of());

    /** Without SNI (Postfix's default). */
    public TlsDefaults(String fingerprintDigest, List<String> fingerprintMatch, String ciphers, String mandatoryCiphers,
                       List<String> exclude, List<String> mandatoryExclude) {
        this(fingerprintDigest, fingerprintMatch, ciphers, mandatoryCiphers, exclude, mandatoryExclude, "");
    }

    public TlsDefaults {
        fingerprintMatch = List.copyOf(fingerprintMatch);
        exclude = List.copyOf(exclude);
        mandatoryExclude = List.copyOf(mandatoryExclude);
    }
}

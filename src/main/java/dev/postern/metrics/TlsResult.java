package dev.postern.metrics;

/** How an smtpd TLS handshake ended, as the {@code result} label of postern_smtpd_tls_handshakes_total. */
public enum TlsResult {
    /** A client certificate that chains to smtpd_tls_CAfile (and is not revoked). */
    TRUSTED,
    /** A client certificate was presented but could not be verified. */
    UNTRUSTED,
    /** The handshake succeeded without a client certificate (Postfix: "Anonymous"). */
    NO_CERT,
    /** The handshake itself failed (SSL_accept error). */
    FAILED;

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

package dev.postern.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What smtpd needs for TLS, from smtpd_tls_* parameters. {@code caFile} may be null (then no
 * client certificate can be trusted). {@code protocols} uses Postfix syntax
 * ({@code ">=TLSv1.2"} or {@code "!SSLv2, !SSLv3"}). {@code crlFile} (postern_smtpd_tls_crl_file) may
 * be null: no revocation checking, as in Postfix.
 */
public record ServerTlsSettings(Path certFile, Path keyFile, Path caFile, boolean askClientCert,
                                String protocols, Duration sessionCacheTimeout, boolean sessionTickets,
                                String fingerprintDigest, Path crlFile) {

    /** Without a CRL file. */
    public ServerTlsSettings(Path certFile, Path keyFile, Path caFile, boolean askClientCert, String protocols,
                             Duration sessionCacheTimeout, boolean sessionTickets, String fingerprintDigest) {
        this(certFile, keyFile, caFile, askClientCert, protocols, sessionCacheTimeout, sessionTickets, fingerprintDigest, null);
    }
}

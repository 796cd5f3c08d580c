package dev.postern.tls;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The SMTP client's TLS files: CA file (trust anchors for verify/secure), optional client
 * certificate; the default protocols; how long TLS sessions are cached for resumption
 * ({@link Duration#ZERO}: no cache, Postfix's default with smtp_tls_session_cache_database empty).
 */
public record ClientTlsSettings(Path caFile, Path certFile, Path keyFile, String protocols, Duration sessionCacheTimeout) {
    public ClientTlsSettings {
        sessionCacheTimeout = sessionCacheTimeout == null ? Duration.ZERO : sessionCacheTimeout;
    }

    /** Without a session cache. */
    public ClientTlsSettings(Path caFile, Path certFile, Path keyFile, String protocols) {
        this(caFile, certFile, keyFile, protocols, Duration.ZERO);
    }

    /** The same files and protocols, sessions cached for {@code timeout} (zero: not at all). */
    public ClientTlsSettings withSessionCache(Duration timeout) {
        return new ClientTlsSettings(caFile, certFile, keyFile, protocols, timeout);
    }
}

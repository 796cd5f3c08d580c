/**
 * tls - TLS contexts and certificate verdicts for smtpd and the SMTP client.
 *
 * <h2>Description</h2>
 * {@link dev.postern.tls.TlsServer} builds smtpd's Netty SslContext from PEM files (OpenSSL/BoringSSL
 * through netty-tcnative when it loads, the JDK otherwise), asks for client certificates and judges
 * them after the handshake against the CA file only. {@link dev.postern.tls.TlsClient} does the same
 * for the SMTP client: one context per protocols/cipher-grade/exclusions combination a policy asks
 * for ({@link dev.postern.tls.ClientTlsOptions}, {@link dev.postern.tls.CipherGrades}), the client
 * certificate presented when configured, and after the handshake the chain and name check (verify,
 * secure) or the certificate/public-key fingerprint check (fingerprint), made the same way after a
 * resumed handshake (the session carries the server's chain). {@link dev.postern.tls.ClientSessionCache}
 * is the client's session cache index (smtp_tls_session_cache_database): the names Netty files
 * sessions under, changed when an entry expires or is dropped. {@link dev.postern.tls.TlsLevel}
 * is Postfix's level vocabulary; dane and dane-only are refused. {@link dev.postern.tls.TlsSummary}
 * writes Postfix's summary, {@code TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)}, with
 * OpenSSL cipher names and the bulk cipher's real strength, for log lines and Received headers.
 * {@link dev.postern.tls.CrlFile} checks client certificates against postern_smtpd_tls_crl_file,
 * re-read within a second of a change by its own thread (handshakes never touch the file), failing
 * closed (unreadable, invalid or expired CRL: nothing trusted).
 * {@link dev.postern.tls.ServerCertificateLint} gives {@code postern check}'s certificate warnings, and
 * refuses an expired server certificate or an all-expired CA file at check and start;
 * {@link dev.postern.tls.KeyFilePermissions} warns about private key files group or others can read.
 * {@link dev.postern.tls.PeerCertificate} carries the client certificate's CN and email SANs, the
 * identities smtpd's AUTH EXTERNAL accepts. {@link dev.postern.tls.NativeRsaKey} makes the
 * operations of an RSA key (smtpd's, or the smtp client's certificate key: the handshake
 * signature, TLS 1.2 RSA key exchange) with the system's OpenSSL 3 libcrypto through
 * src/main/native/postern_rsa.c when it was built, BoringSSL doing the rest of the handshake
 * (its RSA signature costs ~3x OpenSSL's here; BENCHMARKS.md).
 *
 * <h2>Security</h2>
 * The only package that holds private keys in memory (NativeRsaKey: a copy in OpenSSL's memory,
 * freed when the context is collected). Never trusts the JDK's CA store
 * (tls_append_default_CA = no). Handshakes always complete; verdicts are made afterwards so callers
 * can answer and log with Postfix's wording, and callers must act on them before any mail moves.
 */
package dev.postern.tls;

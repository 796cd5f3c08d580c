package dev.postern.tls;

import java.nio.file.Path;

/** The SMTP client's TLS files: CA file (trust anchors for verify/secure), optional client certificate. */
public record ClientTlsSettings(Path caFile, Path certFile, Path keyFile, String protocols) {
}

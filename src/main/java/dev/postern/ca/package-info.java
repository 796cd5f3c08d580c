/**
 * ca - a private certificate authority.
 *
 * <h2>Description</h2>
 * {@link dev.postern.ca.CertificateAuthority} creates a CA (self-signed, CA:TRUE), and issues server
 * certificates (EKU serverAuth, DNS subjectAltNames) and client certificates (EKU clientAuth: the
 * permission to relay). Keys are written as unencrypted PKCS#8 PEM with mode 0600, created so
 * (never world-readable for an instant), as the seed's author exported them from TinyCA2.
 *
 * <h2>Security</h2>
 * Only the {@code postern ca} commands and tests load a CA key; the daemon never does.
 * Revocation and CRLs are not implemented yet.
 */
package dev.postern.ca;

/**
 * ca - a private certificate authority.
 *
 * <h2>Description</h2>
 * {@link dev.postern.ca.CertificateAuthority} creates a CA (self-signed, CA:TRUE), and issues server
 * certificates (EKU serverAuth, DNS subjectAltNames) and client certificates (EKU clientAuth: the
 * permission to relay). Keys are written as unencrypted PKCS#8 PEM with mode 0600, created so
 * (never world-readable for an instant), as the seed's author exported them from TinyCA2. Keys are
 * EC P-256 or RSA 2048/3072/4096. {@link dev.postern.ca.CaDirectory} is the CA on disk: index.txt in
 * OpenSSL's {@code ca} format (random serials, never reused), certs/SERIAL.pem, crlnumber;
 * revocation and CRLs (signed by the CA key, with reason codes and CRL numbers). PKCS#12 export
 * uses the JDK's PBES2/AES-256 (OpenSSL 3 and keytool open it).
 *
 * <h2>Security</h2>
 * Only the {@code postern ca} commands and tests load a CA key; the daemon never does.
 * Changes to the index hold an exclusive lock on D/.lock. PKCS#12 passwords never come from
 * the command line.
 */
package dev.postern.ca;

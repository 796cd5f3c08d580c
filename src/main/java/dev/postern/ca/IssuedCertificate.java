package dev.postern.ca;

import dev.postern.util.AtomicFile;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A certificate with its private key, as issued by {@link CertificateAuthority}. */
public record IssuedCertificate(X509Certificate certificate, PrivateKey privateKey, X509Certificate issuer) {

    public String certificatePem() {
        return pem(certificate);
    }

    /** PKCS#8, unencrypted ("export without a password", as the seed did with TinyCA2). */
    public String privateKeyPem() {
        try {
            return pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(privateKey, null));
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IllegalStateException("cannot encode private key", e);
        }
    }

    /** Writes the certificate (0644) and the key (0600, created so, never world-readable for an instant). */
    public void writePem(Path certFile, Path keyFile) throws IOException {
        writePublic(certFile, certificatePem());
        writeSecret(keyFile, privateKeyPem());
    }

    /**
     * PKCS#12 for mail clients that import one (Thunderbird, Apple Mail): key, certificate and the CA
     * certificate, under the CN as friendly name, with the JDK's PBES2/AES-256 and HMAC-SHA256
     * protection (opens with OpenSSL 3 and keytool). Mode 0600 like a key file.
     */
    public void writePkcs12(Path file, char[] password) throws IOException {
        try {
            java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            String alias = CaDirectory.subject(certificate).replaceFirst("^.*?/CN=", "").replaceAll("/.*$", "");
            java.security.cert.Certificate[] chain = issuer.equals(certificate)
                    ? new java.security.cert.Certificate[] {certificate} : new java.security.cert.Certificate[] {certificate, issuer};
            ks.setKeyEntry(alias.isEmpty() ? "client" : alias, privateKey, password, chain);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            ks.store(out, password);
            writeSecret(file, out.toByteArray());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot write PKCS#12 " + file + ": " + e.getMessage(), e);
        }
    }

    static void writePublic(Path file, String text) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        AtomicFile.write(file, text.getBytes(StandardCharsets.US_ASCII));
    }

    static void writeSecret(Path file, String text) throws IOException {
        writeSecret(file, text.getBytes(StandardCharsets.US_ASCII));
    }

    static void writeSecret(Path file, byte[] data) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".key", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.write(tmp, data);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            AtomicFile.moveDurably(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String pem(Object o) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }
}

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

    static void writePublic(Path file, String text) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        AtomicFile.write(file, text.getBytes(StandardCharsets.US_ASCII));
    }

    static void writeSecret(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, ".key", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
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

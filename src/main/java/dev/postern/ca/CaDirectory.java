package dev.postern.ca;

import dev.postern.tls.Pem;
import dev.postern.tls.TlsSetupException;
import dev.postern.util.AtomicFile;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * A CA directory as {@code postern ca} keeps it: ca-cert.pem, ca-key.pem (0600), index.txt (every
 * certificate issued, OpenSSL's format, so serials are never reused and revoke/list work later),
 * certs/SERIAL.pem (copies of issued certificates, for fingerprints), crlnumber. Changes hold an
 * exclusive lock on .lock, so two commands never lose each other's index lines.
 */
public final class CaDirectory {
    private final Path dir;
    private final CertificateAuthority ca;

    private CaDirectory(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
    }

    public static CaDirectory open(Path dir) throws IOException {
        return new CaDirectory(dir, CertificateAuthority.load(dir));
    }

    public CertificateAuthority authority() {
        return ca;
    }

    /** Issues and records a certificate; {@code keyType} null = the CA's own key type. */
    public IssuedCertificate issue(String cn, Profile profile, List<String> names, Duration validity,
                                   CertificateAuthority.KeyType keyType) throws IOException {
        try (Lock lock = lock()) {
            List<IndexEntry> index = entries();
            CertificateAuthority signer = keyType == null ? ca : ca.withKeyType(keyType);
            Instant now = Instant.now();
            IssuedCertificate c = signer.issue(cn, profile, names, now.minus(Duration.ofMinutes(5)), now.plus(validity),
                    serial -> index.stream().noneMatch(e -> e.serial().equals(serial)));
            X509Certificate x = c.certificate();
            IndexEntry e = new IndexEntry(false, x.getNotAfter().toInstant(), null, "", x.getSerialNumber(),
                    subject(x));
            IssuedCertificate.writePublic(dir.resolve("certs").resolve(e.serialHex() + ".pem"), c.certificatePem());
            index.add(e);
            writeIndex(index);
            return c;
        }
    }

    public List<IndexEntry> entries() throws IOException {
        Path f = dir.resolve("index.txt");
        List<IndexEntry> out = new ArrayList<>();
        if (Files.exists(f)) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    out.add(IndexEntry.parse(line));
                }
            }
        }
        return out;
    }

    /** The issued certificate with this serial (certs/SERIAL.pem). */
    public X509Certificate certificate(IndexEntry e) throws IOException {
        try {
            return Pem.certificates(dir.resolve("certs").resolve(e.serialHex() + ".pem"), "issued certificate").get(0);
        } catch (TlsSetupException ex) {
            throw new IOException(ex.getMessage());
        }
    }

    /** Marks a certificate revoked; refuses unknown serials and ones already revoked. */
    public IndexEntry revoke(BigInteger serial, String reason) throws IOException {
        String why = reason == null || reason.isEmpty() ? "" : RevocationReason.of(reason).name;
        try (Lock lock = lock()) {
            List<IndexEntry> index = entries();
            for (int i = 0; i < index.size(); i++) {
                IndexEntry e = index.get(i);
                if (e.serial().equals(serial)) {
                    if (e.revoked()) {
                        throw new IOException("serial " + e.serialHex() + " (" + e.subject() + ") is already revoked");
                    }
                    IndexEntry r = e.revoke(Instant.now(), why);
                    index.set(i, r);
                    writeIndex(index);
                    return r;
                }
            }
        }
        throw new IOException("serial " + IndexEntry.hex(serial) + " was not issued by the CA in "
                + dir + " (see: postern ca list --dir " + dir + ")");
    }

    /** A CRL of every revoked certificate, valid for {@code validity}, with the next CRL number. */
    public X509CRL crl(Duration validity) throws IOException {
        try (Lock lock = lock()) {
            Path numberFile = dir.resolve("crlnumber");
            BigInteger number = Files.exists(numberFile)
                    ? new BigInteger(Files.readString(numberFile).trim(), 16) : BigInteger.ONE;
            X509Certificate caCert = ca.certificate();
            PrivateKey key = ca.self().privateKey();
            Instant now = Instant.now();
            X509v2CRLBuilder b = new JcaX509v2CRLBuilder(caCert.getSubjectX500Principal(), Date.from(now));
            b.setNextUpdate(Date.from(now.plus(validity)));
            for (IndexEntry e : entries()) {
                if (e.revoked()) {
                    int reason = e.reason().isEmpty() ? org.bouncycastle.asn1.x509.CRLReason.unspecified
                            : RevocationReason.of(e.reason()).code;
                    b.addCRLEntry(e.serial(), Date.from(e.revokedAt()), reason);
                }
            }
            b.addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(caCert));
            b.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            String alg = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(new JcaContentSignerBuilder(alg).build(key)));
            AtomicFile.write(numberFile, (IndexEntry.hex(number.add(BigInteger.ONE)) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return crl;
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot make the CRL: " + e.getMessage(), e);
        }
    }

    /** OpenSSL's one-line subject, /CN=name. */
    static String subject(X509Certificate c) {
        StringBuilder sb = new StringBuilder();
        try {
            for (javax.naming.ldap.Rdn r : new javax.naming.ldap.LdapName(c.getSubjectX500Principal().getName()).getRdns()) {
                sb.append('/').append(r.getType()).append('=').append(r.getValue());
            }
        } catch (javax.naming.InvalidNameException e) {
            return c.getSubjectX500Principal().getName();
        }
        return sb.toString();
    }

    private void writeIndex(List<IndexEntry> index) throws IOException {
        StringBuilder sb = new StringBuilder();
        index.forEach(e -> sb.append(e.line()).append('\n'));
        AtomicFile.write(dir.resolve("index.txt"), sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Closing the channel releases the lock. */
    private record Lock(FileChannel channel) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    private Lock lock() throws IOException {
        FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            ch.lock();
            return new Lock(ch);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }
}

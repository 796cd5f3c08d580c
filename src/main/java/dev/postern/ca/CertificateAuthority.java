package dev.postern.ca;

import dev.postern.tls.Pem;
import dev.postern.tls.TlsSetupException;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/**
 * A private certificate authority (what the seed's author did with TinyCA2), on BouncyCastle.
 * Used by {@code postern ca} and by tests to mint real chains:
 * <pre>
 *   CertificateAuthority ca = CertificateAuthority.create("Example CA", Duration.ofDays(3650));
 *   IssuedCertificate server = ca.issueServer("mail.example.com", List.of("mail.example.com"), Duration.ofDays(825));
 *   IssuedCertificate desktop = ca.issueClient("desktop.example.com", Duration.ofDays(825));
 * </pre>
 * Keys are EC P-256 by default ({@link KeyType#RSA_2048} for old peers). The CA key is only ever
 * loaded by the CA commands, never by the daemon.
 */
public final class CertificateAuthority {
    /** Key algorithm of issued certificates. */
    public enum KeyType { EC_P256, RSA_2048 }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final IssuedCertificate self;
    private final KeyType keyType;

    private CertificateAuthority(IssuedCertificate self, KeyType keyType) {
        this.self = self;
        this.keyType = keyType;
    }

    public static CertificateAuthority create(String commonName, Duration validity) {
        return create(commonName, validity, KeyType.EC_P256);
    }

    public static CertificateAuthority create(String commonName, Duration validity, KeyType keyType) {
        KeyPair kp = generate(keyType);
        Instant now = Instant.now();
        X509Certificate cert = build(commonName, commonName, kp, kp.getPrivate(), null, Profile.CA, List.of(),
                now.minus(Duration.ofMinutes(5)), now.plus(validity));
        return new CertificateAuthority(new IssuedCertificate(cert, kp.getPrivate(), cert), keyType);
    }

    /** Creates a CA in {@code dir}: ca-cert.pem and ca-key.pem (0600). Refuses to overwrite one. */
    public static CertificateAuthority init(Path dir, String commonName, Duration validity) throws IOException {
        if (Files.exists(dir.resolve("ca-key.pem"))) {
            throw new IOException("a CA already exists in " + dir + " (ca-key.pem); refusing to overwrite it");
        }
        CertificateAuthority ca = create(commonName, validity);
        ca.self.writePem(dir.resolve("ca-cert.pem"), dir.resolve("ca-key.pem"));
        return ca;
    }

    public static CertificateAuthority load(Path dir) throws IOException {
        try {
            X509Certificate cert = Pem.certificates(dir.resolve("ca-cert.pem"), "CA certificate").get(0);
            PrivateKey key = Pem.privateKey(dir.resolve("ca-key.pem"), "CA key");
            return new CertificateAuthority(new IssuedCertificate(cert, key, cert),
                    key.getAlgorithm().equals("RSA") ? KeyType.RSA_2048 : KeyType.EC_P256);
        } catch (TlsSetupException e) {
            throw new IOException(e.getMessage() + " (create a CA with: postern ca init --dir " + dir + " --cn NAME)");
        }
    }

    public X509Certificate certificate() {
        return self.certificate();
    }

    public String certificatePem() {
        return self.certificatePem();
    }

    public IssuedCertificate issueServer(String commonName, List<String> dnsNames, Duration validity) {
        return issue(commonName, Profile.SERVER, dnsNames, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(validity));
    }

    public IssuedCertificate issueClient(String commonName, Duration validity) {
        return issue(commonName, Profile.CLIENT, List.of(), Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(validity));
    }

    /** Full control, e.g. an already expired certificate for tests. */
    public IssuedCertificate issue(String commonName, Profile profile, List<String> dnsNames, Instant notBefore, Instant notAfter) {
        KeyPair kp = generate(keyType);
        X509Certificate cert = build(commonName, subjectName(self.certificate()), kp, self.privateKey(), self.certificate(),
                profile, dnsNames, notBefore, notAfter);
        return new IssuedCertificate(cert, kp.getPrivate(), self.certificate());
    }

    private static String subjectName(X509Certificate c) {
        return c.getSubjectX500Principal().getName();
    }

    private static KeyPair generate(KeyType type) {
        try {
            KeyPairGenerator g;
            if (type == KeyType.RSA_2048) {
                g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048, RANDOM);
            } else {
                g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("key generation failed", e);
        }
    }

    private static X509Certificate build(String commonName, String issuerDn, KeyPair kp, PrivateKey signer,
                                         X509Certificate issuerCert, Profile profile, List<String> dnsNames,
                                         Instant notBefore, Instant notAfter) {
        try {
            X500Name subject = new X500Name("CN=" + commonName.replace(",", "\\,").replace("=", "\\="));
            X500Name issuer = issuerCert == null ? subject : X500Name.getInstance(issuerCert.getSubjectX500Principal().getEncoded());
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM).add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notAfter), subject, kp.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
            if (issuerCert != null) {
                b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
            }
            switch (profile) {
                case CA -> {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
                }
                case SERVER -> {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
                    List<GeneralName> names = new ArrayList<>();
                    for (String d : dnsNames) {
                        names.add(d.matches("[0-9.]+|.*:.*") ? new GeneralName(GeneralName.iPAddress, d)
                                : new GeneralName(GeneralName.dNSName, d));
                    }
                    if (!names.isEmpty()) {
                        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
                    }
                }
                case CLIENT -> {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
                }
            }
            String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer)));
        } catch (Exception e) {
            throw new IllegalStateException("certificate generation failed: " + e.getMessage(), e);
        }
    }
}

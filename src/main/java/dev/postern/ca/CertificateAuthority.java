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
    public enum KeyType {
        EC_P256("ec"), RSA_2048("rsa2048"), RSA_3072("rsa3072"), RSA_4096("rsa4096");

        private final String option;

        KeyType(String option) {
            this.option = option;
        }

        /** The {@code --key} spelling: ec, rsa2048, rsa3072, rsa4096. */
        public String option() {
            return option;
        }

        public static KeyType of(String option) {
            for (KeyType t : values()) {
                if (t.option.equalsIgnoreCase(option)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown key type \"" + option + "\": use ec, rsa2048, rsa3072 or rsa4096");
        }

        int rsaBits() {
            return this == EC_P256 ? 0 : Integer.parseInt(option.substring(3));
        }

        static KeyType of(PrivateKey key) {
            if (key instanceof java.security.interfaces.RSAKey rsa) {
                int bits = rsa.getModulus().bitLength();
                return bits > 3072 ? RSA_4096 : bits > 2048 ? RSA_3072 : RSA_2048;
            }
            return EC_P256;
        }
    }

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
        X509Certificate cert = build(commonName, new BigInteger(127, RANDOM).add(BigInteger.ONE), kp, kp.getPrivate(), null, Profile.CA, List.of(),
                now.minus(Duration.ofMinutes(5)), now.plus(validity));
        return new CertificateAuthority(new IssuedCertificate(cert, kp.getPrivate(), cert), keyType);
    }

    /** Creates a CA in {@code dir}: ca-cert.pem and ca-key.pem (0600). Refuses to overwrite one. */
    public static CertificateAuthority init(Path dir, String commonName, Duration validity) throws IOException {
        return init(dir, commonName, validity, KeyType.EC_P256);
    }

    /** As {@link #init(Path, String, Duration)} with a key type (TinyCA2 makes RSA-2048). */
    public static CertificateAuthority init(Path dir, String commonName, Duration validity, KeyType keyType) throws IOException {
        if (Files.exists(dir.resolve("ca-key.pem"))) {
            throw new IOException("a CA already exists in " + dir + " (ca-key.pem); refusing to overwrite it");
        }
        CertificateAuthority ca = create(commonName, validity, keyType);
        ca.self.writePem(dir.resolve("ca-cert.pem"), dir.resolve("ca-key.pem"));
        return ca;
    }

    public static CertificateAuthority load(Path dir) throws IOException {
        try {
            X509Certificate cert = Pem.certificates(dir.resolve("ca-cert.pem"), "CA certificate").get(0);
            PrivateKey key = Pem.privateKey(dir.resolve("ca-key.pem"), "CA key");
            return new CertificateAuthority(new IssuedCertificate(cert, key, cert), KeyType.of(key));
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

    /** The same CA issuing keys of another type (the CA's own key is unchanged). */
    public CertificateAuthority withKeyType(KeyType type) {
        return new CertificateAuthority(self, type);
    }

    /** The CA's certificate and key, for signing CRLs. */
    IssuedCertificate self() {
        return self;
    }

    public IssuedCertificate issueServer(String commonName, List<String> dnsNames, Duration validity) {
        return issue(commonName, Profile.SERVER, dnsNames, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(validity));
    }

    public IssuedCertificate issueClient(String commonName, Duration validity) {
        return issue(commonName, Profile.CLIENT, List.of(), Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(validity));
    }

    /** A client certificate with email subjectAltNames (rfc822Name), e.g. for AUTH EXTERNAL identities. */
    public IssuedCertificate issueClient(String commonName, List<String> emails, Duration validity) {
        List<String> names = emails.stream().map(e -> "email:" + e).toList();
        return issue(commonName, Profile.CLIENT, names, Instant.now().minus(Duration.ofMinutes(5)), Instant.now().plus(validity));
    }

    /** Full control, e.g. an already expired certificate for tests. */
    public IssuedCertificate issue(String commonName, Profile profile, List<String> dnsNames, Instant notBefore, Instant notAfter) {
        return issue(commonName, profile, dnsNames, notBefore, notAfter, serial -> true);
    }

    /**
     * As above, with a serial number the caller accepts ({@code unused}: the CA directory's index,
     * so a serial is never reused).
     */
    public IssuedCertificate issue(String commonName, Profile profile, List<String> dnsNames, Instant notBefore, Instant notAfter,
                                   java.util.function.Predicate<BigInteger> unused) {
        KeyPair kp = generate(keyType);
        BigInteger serial;
        do {
            serial = new BigInteger(127, RANDOM).add(BigInteger.ONE);
        } while (!unused.test(serial));
        X509Certificate cert = build(commonName, serial, kp, self.privateKey(), self.certificate(),
                profile, dnsNames, notBefore, notAfter);
        return new IssuedCertificate(cert, kp.getPrivate(), self.certificate());
    }

    private static KeyPair generate(KeyType type) {
        try {
            KeyPairGenerator g;
            if (type != KeyType.EC_P256) {
                g = KeyPairGenerator.getInstance("RSA");
                g.initialize(type.rsaBits(), RANDOM);
            } else {
                g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            }
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("key generation failed", e);
        }
    }

    /** subjectAltNames: "email:x@y" = rfc822Name, an IPv4/IPv6 literal = iPAddress, else dNSName. */
    private static void addNames(X509v3CertificateBuilder b, List<String> names) throws java.io.IOException {
        List<GeneralName> out = new ArrayList<>();
        for (String d : names) {
            if (d.startsWith("email:")) {
                out.add(new GeneralName(GeneralName.rfc822Name, d.substring(6)));
            } else if (d.matches("[0-9.]+|.*:.*")) {
                out.add(new GeneralName(GeneralName.iPAddress, d));
            } else {
                out.add(new GeneralName(GeneralName.dNSName, d));
            }
        }
        if (!out.isEmpty()) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(out.toArray(GeneralName[]::new)));
        }
    }

    private static X509Certificate build(String commonName, BigInteger serial, KeyPair kp, PrivateKey signer,
                                         X509Certificate issuerCert, Profile profile, List<String> dnsNames,
                                         Instant notBefore, Instant notAfter) {
        try {
            X500Name subject = new X500Name("CN=" + commonName.replace(",", "\\,").replace("=", "\\="));
            X500Name issuer = issuerCert == null ? subject : X500Name.getInstance(issuerCert.getSubjectX500Principal().getEncoded());
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial,
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
                    addNames(b, dnsNames);
                }
                case CLIENT -> {
                    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                    b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
                    addNames(b, dnsNames);
                }
            }
            String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer)));
        } catch (Exception e) {
            throw new IllegalStateException("certificate generation failed: " + e.getMessage(), e);
        }
    }
}

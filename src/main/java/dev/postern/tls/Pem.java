package dev.postern.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** PEM reading for certificates and unencrypted keys (PKCS#8, PKCS#1 RSA, SEC1 EC), naming the file on failure. */
public final class Pem {
    private Pem() {}

    public static List<X509Certificate> certificates(Path file, String parameter) throws TlsSetupException {
        try (InputStream in = Files.newInputStream(file)) {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (var c : cf.generateCertificates(in)) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new TlsSetupException(parameter, parameter + " " + file + ": no certificate found (expected PEM \"BEGIN CERTIFICATE\")",
                        "point " + parameter + " at the PEM certificate (chain)");
            }
            return out;
        } catch (IOException e) {
            throw new TlsSetupException(parameter, parameter + " " + file + ": cannot read: " + e.getMessage(),
                    "check the path, and that the user running Postern may read the file");
        } catch (CertificateException e) {
            throw new TlsSetupException(parameter, parameter + " " + file + ": not a PEM certificate: " + e.getMessage(),
                    "point " + parameter + " at the PEM certificate (chain)");
        }
    }

    public static PrivateKey privateKey(Path file, String parameter) throws TlsSetupException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
                if (o instanceof PEMKeyPair kp) {
                    return conv.getKeyPair(kp).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return conv.getPrivateKey(info);
                }
                if (o.getClass().getSimpleName().contains("Encrypted")) {
                    throw new TlsSetupException(parameter, parameter + " " + file + ": the key is encrypted",
                            "export it without a password (e.g. openssl pkey -in key.pem -out key-nopass.pem)");
                }
            }
            throw new TlsSetupException(parameter, parameter + " " + file + ": no private key found (expected PEM \"BEGIN PRIVATE KEY\")",
                    "point " + parameter + " at the unencrypted PEM private key");
        } catch (IOException e) {
            throw new TlsSetupException(parameter, parameter + " " + file + ": cannot read: " + e.getMessage(),
                    "check the path, and that the user running Postern may read the file");
        }
    }
}

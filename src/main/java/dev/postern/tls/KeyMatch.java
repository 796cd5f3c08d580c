package dev.postern.tls;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;

/** Checks that a private key belongs to a certificate by signing and verifying a probe. */
final class KeyMatch {
    private KeyMatch() {}

    static void check(PrivateKey key, X509Certificate cert, Path keyFile, Path certFile, String keyParameter, String certParameter) throws TlsSetupException {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519" -> "Ed25519";
            default -> null;
        };
        if (alg == null) {
            return;
        }
        try {
            byte[] probe = "postern key check".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(cert.getPublicKey());
            v.update(probe);
            if (v.verify(sig)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // a key of another type than the certificate's lands here too
        }
        throw new TlsSetupException(keyParameter, "the key in " + keyFile + " (" + keyParameter + ") does not match the certificate in "
                + certFile + " (" + certParameter + ")", "use the key that was made with this certificate");
    }
}

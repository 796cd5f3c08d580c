package dev.postern.tls;

/**
 * How a next hop's certificate fared: {@code trusted} = the chain verifies to the CA file,
 * {@code matched} = a certificate name matches one of the required names. Postfix's words:
 * Verified (both), Trusted (chain only), Untrusted.
 */
public record ServerCertificateCheck(boolean trusted, boolean matched, String subjectCn, String problem) {
    public String trustWord() {
        return trusted && matched ? "Verified" : trusted ? "Trusted" : "Untrusted";
    }
}

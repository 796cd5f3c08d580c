package dev.postern.tls;

/**
 * The client certificate as judged after the handshake (the handshake itself always completes,
 * as in Postfix; policy decides in the SMTP layer). {@code failure} is Postfix's log wording
 * ("untrusted issuer /CN=...", "certificate has expired", "not designated for use as a client
 * certificate") when not trusted. Fingerprints are upper-case hex with colons, in the configured digest.
 */
public record PeerCertificate(Status status, String failure, String subjectCn, String issuerCn,
                              String certFingerprint, String pkeyFingerprint, java.util.List<String> emails) {
    public enum Status { NONE, TRUSTED, UNTRUSTED }

    public static final PeerCertificate NONE = new PeerCertificate(Status.NONE, "", "", "", "", "");

    /** {@code emails}: the leaf's rfc822Name subject alternative names (AUTH EXTERNAL authorization identities). */
    public PeerCertificate {
        emails = java.util.List.copyOf(emails);
    }

    /** A certificate without email SANs. */
    public PeerCertificate(Status status, String failure, String subjectCn, String issuerCn, String certFingerprint,
                           String pkeyFingerprint) {
        this(status, failure, subjectCn, issuerCn, certFingerprint, pkeyFingerprint, java.util.List.of());
    }

    /** The same certificate judged untrusted for {@code why} (revoked, CRL unusable). */
    public PeerCertificate untrusted(String why) {
        return new PeerCertificate(Status.UNTRUSTED, why, subjectCn, issuerCn, certFingerprint, pkeyFingerprint, emails);
    }

    public boolean presented() {
        return status != Status.NONE;
    }

    public boolean trusted() {
        return status == Status.TRUSTED;
    }
}

package dev.postern.tls;

/**
 * The client certificate as judged after the handshake (the handshake itself always completes,
 * as in Postfix; policy decides in the SMTP layer). {@code failure} is Postfix's log wording
 * ("untrusted issuer /CN=...", "certificate has expired", "not designated for use as a client
 * certificate") when not trusted. Fingerprints are upper-case hex with colons, in the configured digest.
 */
public record PeerCertificate(Status status, String failure, String subjectCn, String issuerCn,
                              String certFingerprint, String pkeyFingerprint) {
    public enum Status { NONE, TRUSTED, UNTRUSTED }

    public static final PeerCertificate NONE = new PeerCertificate(Status.NONE, "", "", "", "", "");

    public boolean presented() {
        return status != Status.NONE;
    }

    public boolean trusted() {
        return status == Status.TRUSTED;
    }
}

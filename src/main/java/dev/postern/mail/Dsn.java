package dev.postern.mail;

/**
 * The per-message parameters of the RFC 3461 DSN extension, from MAIL FROM: {@code ret} (RET=,
 * null when the client gave none: RFC 3461 §5.2.1 forbids making one up when relaying) and
 * {@code envelopeId} (ENVID=, xtext-decoded; null when none).
 */
public record Dsn(Ret ret, String envelopeId) {
    /** RET=FULL or RET=HDRS: what of the message a notice returns. */
    public enum Ret { FULL, HDRS }

    /** No DSN parameters given. */
    public static final Dsn NONE = new Dsn(null, null);

    public boolean isNone() {
        return ret == null && envelopeId == null;
    }
}

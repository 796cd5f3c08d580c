package dev.postern.tls;

import java.util.Locale;

/**
 * Postfix's client TLS security levels (TLS_README "Client-side TLS security levels"), weakest
 * first. dane and dane-only are not implemented: {@link #parse} refuses them, as it refuses unknown
 * words, so a policy never quietly means less than it says.
 */
public enum TlsLevel {
    NONE, MAY, ENCRYPT, FINGERPRINT, VERIFY, SECURE;

    /** @throws IllegalArgumentException naming the word and the levels that exist */
    public static TlsLevel parse(String word) {
        String w = word.trim().toLowerCase(Locale.ROOT);
        for (TlsLevel l : values()) {
            if (l.word().equals(w)) {
                return l;
            }
        }
        if (w.equals("dane") || w.equals("dane-only")) {
            throw new IllegalArgumentException("TLS security level \"" + w + "\" is not implemented in Postern; use secure"
                    + " (or fingerprint) with the server's CA or fingerprint instead");
        }
        throw new IllegalArgumentException("unknown TLS security level \"" + word.trim()
                + "\"; use none, may, encrypt, fingerprint, verify or secure");
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** STARTTLS is tried. */
    public boolean usesTls() {
        return this != NONE;
    }

    /** No mail without TLS (everything above may). */
    public boolean mandatory() {
        return compareTo(ENCRYPT) >= 0;
    }

    /** The server's certificate must match before any mail goes (fingerprint, verify, secure). */
    public boolean authenticates() {
        return compareTo(FINGERPRINT) >= 0;
    }
}

package dev.postern.tls;

/** A TLS file problem (unreadable, unparsable, key does not match certificate), naming the file. */
public class TlsSetupException extends Exception {
    public TlsSetupException(String message) {
        super(message);
    }

    public TlsSetupException(String message, Throwable cause) {
        super(message, cause);
    }
}

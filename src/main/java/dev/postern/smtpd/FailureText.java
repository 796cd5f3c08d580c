package dev.postern.smtpd;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.util.regex.Pattern;

/**
 * Turns a Java failure into the short phrase Postfix would log after "lost connection after X from
 * host[addr]: " or "SSL_accept error from host[addr]: ". The mail log is read by people and by
 * fail2ban/pflogsumm: it never carries Java class names or stack traces.
 */
final class FailureText {
    /** "io.netty.handler.ssl.NotSslRecordException: " and the like, wherever they appear in a message. */
    private static final Pattern CLASS_PREFIX = Pattern.compile("\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*)?");

    /** Netty's native transport: "recvAddress(..) failed with error(-104): " before the system's words. */
    private static final Pattern NATIVE_CALL = Pattern.compile("^\\w+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?:\\s*");

    private FailureText() {}

    static String of(Throwable cause) {
        Throwable t = cause;
        while (t instanceof DecoderException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NotSslRecordException) {
            return "not a TLS record (plaintext in a TLS session)";
        }
        String text = t.getMessage() == null ? "" : CLASS_PREFIX.matcher(t.getMessage()).replaceAll("").strip();
        text = NATIVE_CALL.matcher(text).replaceFirst("");
        if (text.length() > 200) {
            text = text.substring(0, 200) + "...";
        }
        if (t instanceof SSLException) {
            return text.isEmpty() ? "TLS protocol error" : "TLS protocol error: " + text;
        }
        if (t instanceof IOException) {
            return text.isEmpty() ? "I/O error" : text;
        }
        return text.isEmpty() ? "internal error" : "internal error: " + text;
    }
}

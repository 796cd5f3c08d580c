package dev.postern.smtpd;

import dev.postern.mail.Reply;
import dev.postern.tls.PeerCertificate;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * SMTP AUTH with the SASL EXTERNAL mechanism (RFC 4422 appendix A, RFC 4954) for one session:
 * the credentials are the client certificate already verified in the TLS handshake, so the only
 * thing exchanged is the authorization identity. Offered (postern_smtpd_auth_external = yes) only
 * inside TLS and only when the certificate is trusted; never before TLS, never for an anonymous or
 * untrusted client. Postfix itself has no EXTERNAL (its Cyrus/Dovecot backends offer password
 * mechanisms); the replies and log words are Postfix's smtpd_sasl_proto.c and smtpd_sasl_glue.c ones.
 *
 * <p>An empty authorization identity ({@code AUTH EXTERNAL =}, or an empty line after {@code 334 })
 * means "the identity the certificate gives": its CN, else its first email SAN. A non-empty one must
 * be the CN (exact) or one of the email SANs (case-insensitive), otherwise 535 5.7.8.
 */
final class ExternalAuth {
    /** Postfix's sasl_method word in the log, and the mechanism name in EHLO. */
    static final String MECHANISM = "EXTERNAL";

    private final boolean enabled;
    private String username; // the authorization identity once AUTH succeeded
    private boolean awaitingResponse; // "334 " sent, the next line is the client's response
    private String failure; // why the last exchange failed, for the log

    ExternalAuth(boolean enabled) {
        this.enabled = enabled;
    }

    /** The EHLO keyword, or null when AUTH is not offered in this state. */
    String ehloKeyword(boolean tls, PeerCertificate peer) {
        return enabled && tls && peer.trusted() && username == null ? "AUTH " + MECHANISM : null;
    }

    boolean enabled() {
        return enabled;
    }

    /** The authenticated identity (Postfix's sasl_username), or null. */
    String username() {
        return username;
    }

    boolean awaitingResponse() {
        return awaitingResponse;
    }

    /** Why the last AUTH failed (for "SASL EXTERNAL authentication failed: ..."), or null. */
    String failure() {
        return failure;
    }

    /** RFC 3207 §4.2: what was learned before STARTTLS is forgotten (AUTH cannot precede TLS anyway). */
    void reset() {
        username = null;
        awaitingResponse = false;
    }

    /**
     * The AUTH command. Returns the reply: 334 to ask for the response, 235 on success, or an
     * error (smtpd_sasl_proto.c's checks in its order, then the exchange itself).
     */
    Reply command(String arg, boolean tls, PeerCertificate peer, boolean inTransaction) {
        failure = null;
        if (!enabled) {
            return Reply.of(503, "5.5.1", "Error: authentication not enabled");
        }
        if (username != null) {
            return Reply.of(503, "5.5.1", "Error: already authenticated");
        }
        if (!tls) {
            return Reply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
        }
        if (inTransaction) {
            return Reply.of(503, "5.5.1", "Error: MAIL transaction in progress");
        }
        String[] words = arg.strip().split(" +");
        if (arg.isBlank() || words.length > 2) {
            return Reply.of(501, "5.5.4", "Syntax: AUTH mechanism");
        }
        if (!words[0].equalsIgnoreCase(MECHANISM)) {
            // RFC 4954 §4: an unsupported mechanism is 504 (Postfix's Cyrus backend answers 535).
            return Reply.of(504, "5.5.4", "Unsupported authentication mechanism");
        }
        if (!peer.trusted()) {
            failure = peer.presented() ? "client certificate not trusted: " + peer.failure() : "no client certificate";
            return Reply.of(535, "5.7.8", "Error: authentication failed: no trusted client certificate");
        }
        if (words.length == 1) {
            // No initial response (also Python's smtplib sending "AUTH EXTERNAL " with an empty one):
            // an empty challenge, RFC 4954 §4.
            awaitingResponse = true;
            return Reply.of(334, "", "");
        }
        return authorize(words[1].equals("=") ? "" : words[1], peer);
    }

    /** The client's line after {@code 334 }. */
    Reply response(String line, PeerCertificate peer) {
        awaitingResponse = false;
        failure = null;
        String r = line.strip();
        if (r.equals("*")) {
            failure = "authentication aborted";
            return Reply.of(501, "5.7.0", "Authentication aborted");
        }
        return authorize(r.equals("=") ? "" : r, peer);
    }

    private Reply authorize(String base64, PeerCertificate peer) {
        String authzid;
        try {
            authzid = new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            failure = "cannot decode response";
            return Reply.of(501, "5.5.2", "Cannot decode response");
        }
        String identity = authzid.isEmpty() ? derivedIdentity(peer) : allowed(authzid, peer) ? authzid : null;
        if (identity == null) {
            failure = authzid.isEmpty() ? "the client certificate has neither a CN nor an email address"
                    : "authorization identity \"" + printable(authzid) + "\" is not the certificate's CN or an email address in it";
            return Reply.of(535, "5.7.8", "Error: authentication failed: authorization identity not allowed by the client certificate");
        }
        username = identity;
        return Reply.of(235, "2.7.0", "Authentication successful");
    }

    /** RFC 4422 appendix A.1: with an empty authorization identity the server derives it from the credentials. */
    private static String derivedIdentity(PeerCertificate peer) {
        if (!peer.subjectCn().isEmpty()) {
            return peer.subjectCn();
        }
        return peer.emails().isEmpty() ? null : peer.emails().get(0);
    }

    private static boolean allowed(String authzid, PeerCertificate peer) {
        if (authzid.equals(peer.subjectCn())) {
            return true;
        }
        String wanted = authzid.toLowerCase(Locale.ROOT);
        return peer.emails().stream().anyMatch(e -> e.toLowerCase(Locale.ROOT).equals(wanted));
    }

    private static String printable(String s) {
        String t = s.length() > 100 ? s.substring(0, 100) : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}

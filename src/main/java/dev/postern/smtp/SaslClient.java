package dev.postern.smtp;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.maps.LookupException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * SMTP AUTH (RFC 4954) in the SMTP client, as Postfix's smtp_sasl_proto.c and smtp_sasl_glue.c
 * do it: after the last EHLO (the one after STARTTLS), before MAIL FROM. The server's AUTH
 * mechanisms pass smtp_sasl_mechanism_filter; with no credentials for the server the session
 * goes on unauthenticated ("talk to each other like strangers"); with credentials, PLAIN (else
 * LOGIN) is used if the security options of the session (smtp_sasl_tls_security_options over
 * TLS, smtp_sasl_security_options otherwise) allow it, and any failure ends the attempt.
 * The password exists only in the AUTH exchange on the wire: never in a log line, a result, an
 * exception message, or {@link #explainSasl}.
 */
public final class SaslClient {
    /** RFC 5321 §4.5.3.1.4: a command line, CRLF included, is at most 512 octets. */
    private static final int LINE_LIMIT = 512;
    /** Postfix's loop guard for servers that never stop challenging. */
    private static final int MAX_STEPS = 100;

    /**
     * Why the attempt ends. {@code verdict} is the reply class that decides the recipients'
     * fate (4xx defers, 5xx bounces) with the DSN to record; {@code diagnostic} is Postfix's text.
     */
    record Failure(ServerReply verdict, String diagnostic) {
        static Failure defer(String dsn, String diagnostic) {
            return new Failure(new ServerReply(dsn.startsWith("5") ? 554 : 454, dsn, "", List.of()), diagnostic);
        }
    }

    private SaslClient() {}

    /**
     * Authenticates on {@code conn} when SMTP AUTH is enabled, the server offers it, and there are
     * credentials for it. Returns empty when the transaction may go on (authenticated or not).
     *
     * @param caps  the capabilities from the last EHLO
     * @param relay {@code host[addr]:port} of the server
     */
    static Optional<Failure> authenticate(SaslSettings s, MailLog log, SmtpConnection conn, List<String> caps, String relay,
                                          DeliveryRequest request, Duration timeout) throws IOException {
        if (!s.enabled()) {
            return Optional.empty();
        }
        List<String> offered = offered(caps);
        String namaddr = namaddr(relay);
        String queueId = request.queueId().toString();
        PasswordLookup.Credentials creds;
        try {
            creds = PasswordLookup.find(s, request.sender().mailbox().orElse(null), hostName(relay), request.nexthop())
                    .orElse(null);
        } catch (LookupException e) {
            log.warning("smtp", queueId + ": smtp_sasl_password_maps lookup error: " + e.getMessage());
            if (offered == null) {
                return Optional.empty(); // Postfix looks up only when AUTH is offered: nothing to fail
            }
            return Optional.of(Failure.defer("4.3.0", "local data error while talking to " + namaddr));
        }
        if (offered == null) {
            if (creds != null) {
                // Postfix says nothing and delivers unauthenticated; the server's refusal to relay
                // would then be the only clue, so say why.
                log.warning("smtp", queueId + ": " + relay + " offered no AUTH; delivering without SASL authentication"
                        + " although smtp_sasl_password_maps has credentials for it (key " + creds.key() + ")");
            }
            return Optional.empty();
        }
        List<String> usable = filtered(s, offered, log, relay);
        if (creds == null) {
            return Optional.empty();
        }
        if (usable.isEmpty()) {
            return Optional.of(Failure.defer("4.7.0", "SASL authentication failed: server " + namaddr
                    + " offered no compatible authentication mechanisms for this type of connection security"));
        }
        String mechanism = choose(s, usable, conn.encrypted(), log, queueId + ": SASL: " + relay);
        if (mechanism == null) {
            return Optional.of(Failure.defer("4.7.0", "SASL authentication failed; cannot authenticate to server "
                    + namaddr + ": no mechanism available"));
        }
        return exchange(s, conn, mechanism, creds, namaddr, timeout);
    }

    /** The offered mechanisms smtp_sasl_mechanism_filter lets through; Postfix warns when none is left. */
    private static List<String> filtered(SaslSettings s, List<String> offered, MailLog log, String relay) {
        List<String> usable = new ArrayList<>();
        for (String m : offered) {
            if (s.passes(m) && !usable.contains(m)) {
                usable.add(m);
            }
        }
        if (usable.isEmpty()) {
            log.warning("smtp", relay + (offered.isEmpty() ? " offered null AUTH mechanism list"
                    : " offered no supported AUTH mechanisms: '" + String.join(" ", offered) + "'"));
        }
        return usable;
    }

    /**
     * PLAIN, else LOGIN, if the session's security options allow them; null (with a warning that
     * says which option or which missing mechanism is why) otherwise.
     */
    private static String choose(SaslSettings s, List<String> usable, boolean tls, MailLog log, String who) {
        boolean allowed = s.allowsPlaintext(tls);
        String mechanism = !allowed ? null : usable.contains("PLAIN") ? "PLAIN" : usable.contains("LOGIN") ? "LOGIN" : null;
        if (mechanism == null) {
            log.warning("smtp", who + " offers " + String.join(" ", usable) + "; Postern implements PLAIN and LOGIN"
                    + (allowed ? "" : ", which " + SaslSettings.optionsParameter(tls) + " = "
                    + String.join(", ", tls ? s.tlsSecurityOptions() : s.securityOptions()) + " forbids"
                    + (tls ? "" : " without TLS")));
        }
        return mechanism;
    }

    /** The AUTH dialogue; Postfix's smtp_sasl_authenticate(). */
    private static Optional<Failure> exchange(SaslSettings s, SmtpConnection conn, String mechanism,
                                              PasswordLookup.Credentials creds, String namaddr, Duration timeout)
            throws IOException {
        List<String> responses = mechanism.equals("PLAIN")
                ? List.of(b64("\0" + creds.username() + "\0" + creds.password()))
                : List.of(b64(creds.username()), b64(creds.password()));
        int next = 0;
        boolean initialDeferred = false;
        if (mechanism.equals("PLAIN") && mechanism.length() + responses.get(0).length() + 8 <= LINE_LIMIT) {
            conn.send("AUTH PLAIN " + responses.get(next++) + "\r\n");
        } else {
            conn.send("AUTH " + mechanism + "\r\n");
            initialDeferred = mechanism.equals("PLAIN");
        }
        ServerReply r;
        int steps = 0;
        while ((r = conn.reply(timeout)).code() / 100 == 3) {
            if (++steps > MAX_STEPS) {
                return Optional.of(Failure.defer("4.3.0", "SASL authentication failed; authentication protocol loop with server "
                        + namaddr));
            }
            String challenge = r.text().trim();
            if (initialDeferred && !challenge.isEmpty()) {
                conn.send("*\r\n");
                return Optional.of(Failure.defer("4.7.0", "SASL authentication failed; non-empty initial " + mechanism
                        + " challenge from server " + namaddr + ": " + r.text()));
            }
            initialDeferred = false;
            if (next >= responses.size()) {
                conn.send("*\r\n"); // RFC 4954 §4: cancel the exchange
                return Optional.of(Failure.defer("4.7.0", "SASL authentication failed; cannot authenticate to server "
                        + namaddr + ": unexpected " + mechanism + " challenge"));
            }
            conn.send(responses.get(next++) + "\r\n");
        }
        if (r.code() / 100 == 2) {
            return Optional.empty();
        }
        String diagnostic = "SASL authentication failed; server " + namaddr + " said: " + r.diagnostic();
        if (r.code() / 100 == 5 && s.softBounce()) {
            return Optional.of(Failure.defer("4" + r.dsn().substring(1), diagnostic));
        }
        return Optional.of(new Failure(r, diagnostic));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The mechanisms of every AUTH line of the EHLO reply, upper case, also in the old
     * {@code AUTH=LOGIN PLAIN} form; null when there is no AUTH line (the server does not offer it).
     */
    static List<String> offered(List<String> caps) {
        List<String> mechs = null;
        for (String cap : caps) {
            String c = cap.trim().toUpperCase(Locale.ROOT);
            if (c.equals("AUTH") || c.startsWith("AUTH ") || c.startsWith("AUTH=")) {
                mechs = mechs == null ? new ArrayList<>() : mechs;
                for (String w : c.substring(4).split("[\\s=]+")) {
                    if (!w.isEmpty()) {
                        mechs.add(w);
                    }
                }
            }
        }
        return mechs;
    }

    /** Connection cache scope: with per-sender credentials, a connection serves only its sender (Postfix's smtp_key). */
    static String cacheScope(SaslSettings s, DeliveryRequest request) {
        return s.enabled() && s.senderDependent() ? " sasl-sender=" + request.sender() : "";
    }

    /** {@code host[addr]} from {@code host[addr]:port}. */
    private static String namaddr(String relay) {
        int colon = relay.lastIndexOf("]:");
        return colon > 0 ? relay.substring(0, colon + 1) : relay;
    }

    /** The server's host name, Postfix's iter->host, from {@code host[addr]:port}. */
    private static String hostName(String relay) {
        int bracket = relay.indexOf('[');
        return bracket > 0 ? relay.substring(0, bracket) : relay;
    }

    /**
     * For {@code postern route}: whether mail from {@code sender} to {@code nexthop} would
     * authenticate, as whom, and which table and key said so. Never shows a password. Server host
     * names found by MX lookup are not known here; the next hop's own name stands for them.
     *
     * @param sender the envelope sender; "" or "<>" for the null sender
     */
    public static String explainSasl(SmtpClientSettings settings, String nexthop, String sender) {
        SaslSettings s = settings.sasl();
        if (!s.enabled()) {
            return "SASL: no (smtp_sasl_auth_enable = no)";
        }
        NextHop hop;
        MailAddress from;
        try {
            hop = NextHop.parse(nexthop);
            String bare = sender.startsWith("<") && sender.endsWith(">") ? sender.substring(1, sender.length() - 1) : sender;
            from = bare.isEmpty() ? null : MailAddress.parse(bare);
        } catch (IllegalArgumentException e) {
            return "SASL: unknown (" + e.getMessage() + ")";
        }
        List<String> tried = new ArrayList<>();
        PasswordLookup.keys(s, from, hop.host(), hop.text()).forEach(k -> tried.add(k.text()));
        PasswordLookup.Credentials c;
        try {
            c = PasswordLookup.find(s, from, hop.host(), hop.text()).orElse(null);
        } catch (LookupException e) {
            return "SASL: unknown (smtp_sasl_password_maps lookup error: " + e.getMessage() + "; delivery would defer)";
        }
        if (c == null) {
            return "SASL: no (smtp_sasl_password_maps has no entry for " + String.join(", ", tried) + ")";
        }
        String when = s.allowsPlaintext(false) ? "PLAIN or LOGIN, with or without TLS"
                : s.allowsPlaintext(true) ? "PLAIN or LOGIN, only over TLS"
                : "but no mechanism is allowed: smtp_sasl_tls_security_options = " + String.join(", ", s.tlsSecurityOptions())
                + " forbids PLAIN and LOGIN; delivery would defer";
        return "SASL: yes, username " + c.username() + " (smtp_sasl_password_maps " + c.table() + " key " + c.key()
                + "); " + when;
    }
}

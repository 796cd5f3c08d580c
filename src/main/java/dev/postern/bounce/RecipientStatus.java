package dev.postern.bounce;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.RecipientResult;

import java.util.EnumSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a notice says about one recipient. {@code original} is the ORCPT / original recipient when
 * known (null otherwise); {@code status} the RFC 3463 code; {@code relay} Postfix's
 * {@code host[addr]:port} or {@code none}; {@code diagnostic} the text logged in
 * {@code status=... (diagnostic)}. {@code notifyOn} is the recipient's RFC 3461 NOTIFY set; empty
 * means none was given (Postfix's default: failures and delays are reported); the DSN SMTP
 * extension fills it from the client's RCPT TO ... NOTIFY=. {@code orcpt} is the client's ORCPT=
 * as {@code type;address} (null when none: {@code original} is reported instead, as Postfix
 * always reports an Original-Recipient). {@code action} overrides the notice's Action for this
 * recipient (a success notice says "delivered" or "relayed"); null means the notice's own.
 */
public record RecipientStatus(MailAddress recipient, String original, String status, String relay,
                              String diagnostic, Set<Notify> notifyOn, String orcpt, String action) {
    /** RFC 3461 NOTIFY keywords. */
    public enum Notify { NEVER, SUCCESS, FAILURE, DELAY }

    private static final Pattern SAID = Pattern.compile("^host (\\S+) said: (.*) \\(in reply to .* command\\)$",
            Pattern.DOTALL);
    private static final Pattern REFUSED = Pattern.compile("^host (\\S+) refused to talk to me: (.*)$", Pattern.DOTALL);

    public RecipientStatus {
        notifyOn = Set.copyOf(notifyOn);
    }

    /** Without ORCPT and with the notice's own Action. */
    public RecipientStatus(MailAddress recipient, String original, String status, String relay,
                           String diagnostic, Set<Notify> notifyOn) {
        this(recipient, original, status, relay, diagnostic, notifyOn, null, null);
    }

    public static RecipientStatus of(RecipientResult r) {
        return new RecipientStatus(r.recipient(), null, r.dsn(), r.relay(), r.diagnostic(), Set.of());
    }

    /**
     * With the recipient's RFC 3461 NOTIFY and ORCPT as received; the recipient itself is the
     * original recipient. {@code action} as above.
     */
    public static RecipientStatus of(RecipientResult r, RecipientDsn dsn, String action) {
        return of(r, dsn, action, null);
    }

    /**
     * As above, with the address the recipient came in as when address rewriting changed it
     * ({@code original}, null when it did not): the notice then says "(expanded from <original>)".
     */
    public static RecipientStatus of(RecipientResult r, RecipientDsn dsn, String action, String original) {
        return new RecipientStatus(r.recipient(), original == null ? r.recipient().toString() : original, r.dsn(), r.relay(),
                r.diagnostic(), notify(dsn), dsn.orcpt(), action);
    }

    /**
     * A NOTIFY=SUCCESS recipient that virtual aliasing expanded, as Postfix's cleanup reports it
     * (cleanup_out_recipient(): {@code DSN_SIMPLE("2.0.0", "alias expanded")}, action "expanded",
     * relay "none"): {@code address} after canonical mapping, {@code original} as it came in.
     */
    public static RecipientStatus expanded(MailAddress address, String original, RecipientDsn dsn) {
        return new RecipientStatus(address, original, "2.0.0", "none", "alias expanded", notify(dsn), dsn.orcpt(),
                "expanded");
    }

    private static Set<Notify> notify(RecipientDsn dsn) {
        Set<Notify> notify = EnumSet.noneOf(Notify.class);
        dsn.notifyOn().forEach(n -> notify.add(Notify.valueOf(n.name())));
        return notify;
    }

    /** The original address differs from the recipient (Postfix compares them ignoring case). */
    boolean expandedFrom() {
        return original != null && !original.equalsIgnoreCase(recipient.toString());
    }

    /**
     * The Original-Recipient field value: the ORCPT as given, else {@code rfc822; original}; null
     * for none. An original that is no address (what sendmail was given, {@code root}) gives the
     * recipient's: Postfix's cleanup makes that ORCPT for local mail (rfc822;root@$myorigin).
     */
    String originalRecipientField() {
        if (orcpt != null) {
            return orcpt;
        }
        if (original == null) {
            return null;
        }
        return "rfc822; " + (original.indexOf('@') > 0 ? original : recipient.toString());
    }

    /** Whether this recipient wants a notice of this kind (RFC 3461 §4.1; empty set = FAILURE,DELAY). */
    public boolean wants(Notify kind) {
        if (notifyOn.isEmpty()) {
            return kind == Notify.FAILURE || kind == Notify.DELAY;
        }
        return notifyOn.contains(kind);
    }

    /** Remote-MTA host name, from the relay (without [addr]:port), or null when none was reached. */
    String remoteMta() {
        Matcher m = SAID.matcher(diagnostic);
        String host = m.matches() ? m.group(1) : null;
        if (host == null) {
            Matcher r = REFUSED.matcher(diagnostic);
            host = r.matches() ? r.group(1) : (relay == null || relay.equals("none") ? null : relay);
        }
        if (host == null) {
            return null;
        }
        int bracket = host.indexOf('[');
        return bracket > 0 ? host.substring(0, bracket) : host;
    }

    /**
     * The Diagnostic-Code field: {@code smtp; <the remote reply>} when a server said it, as
     * Postfix writes it, else {@code X-Postfix; <our own text>}.
     */
    String diagnosticCode() {
        Matcher m = SAID.matcher(diagnostic);
        if (m.matches()) {
            return "smtp; " + m.group(2);
        }
        Matcher r = REFUSED.matcher(diagnostic);
        if (r.matches()) {
            return "smtp; " + r.group(2);
        }
        if (action != null && diagnostic.matches("^[2-5]\\d\\d[ -].*") && remoteMta() != null) {
            return "smtp; " + diagnostic; // a success: the next hop's own reply to the end of data
        }
        return "X-Postfix; " + diagnostic;
    }
}

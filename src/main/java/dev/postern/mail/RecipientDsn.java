package dev.postern.mail;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The per-recipient parameters of the RFC 3461 DSN extension, from RCPT TO: {@code notifyOn} (the
 * NOTIFY= keywords; empty when none was given, meaning FAILURE,DELAY by default) and the ORCPT=
 * original recipient as {@code orcptType} ("rfc822", "utf-8") and the xtext-decoded
 * {@code orcptAddress} (both null when none was given).
 */
public record RecipientDsn(Set<Notify> notifyOn, String orcptType, String orcptAddress) {
    /** RFC 3461 NOTIFY keywords. */
    public enum Notify { NEVER, SUCCESS, FAILURE, DELAY }

    /** No DSN parameters given. */
    public static final RecipientDsn NONE = new RecipientDsn(Set.of(), null, null);

    public RecipientDsn {
        notifyOn = notifyOn.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(notifyOn));
        if ((orcptType == null) != (orcptAddress == null)) {
            throw new IllegalArgumentException("ORCPT needs both a type and an address");
        }
    }

    public boolean isNone() {
        return notifyOn.isEmpty() && orcptType == null;
    }

    /** Whether the recipient wants a notice of this kind (RFC 3461 §4.1; none given = FAILURE,DELAY). */
    public boolean wants(Notify kind) {
        if (notifyOn.isEmpty()) {
            return kind == Notify.FAILURE || kind == Notify.DELAY;
        }
        return notifyOn.contains(kind);
    }

    /**
     * Parses a NOTIFY= value as Postfix's dsn_notify_mask(): comma-separated keywords, any case;
     * NEVER only alone. Throws {@link IllegalArgumentException} for anything else.
     */
    public static Set<Notify> parseNotify(String value) {
        EnumSet<Notify> set = EnumSet.noneOf(Notify.class);
        for (String word : value.split(",", -1)) {
            try {
                set.add(Notify.valueOf(word.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad NOTIFY keyword");
            }
        }
        if (set.contains(Notify.NEVER) && set.size() > 1) {
            throw new IllegalArgumentException("NEVER with other NOTIFY keywords");
        }
        return set;
    }

    /** The NOTIFY= value in RFC 3461 order (SUCCESS,FAILURE,DELAY), or "" when none was given. */
    public String notifyKeywords() {
        StringJoiner j = new StringJoiner(",");
        for (Notify n : new Notify[] {Notify.NEVER, Notify.SUCCESS, Notify.FAILURE, Notify.DELAY}) {
            if (notifyOn.contains(n)) {
                j.add(n.name());
            }
        }
        return j.toString();
    }

    /** The ORCPT as Postfix prints it in Original-Recipient: {@code rfc822;user@example.org}, or null. */
    public String orcpt() {
        return orcptType == null ? null : orcptType + ";" + orcptAddress;
    }
}

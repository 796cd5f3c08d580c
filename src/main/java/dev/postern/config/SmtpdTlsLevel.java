package dev.postern.config;

import java.util.Locale;

/**
 * The TLS level smtpd applies, after Postfix's rules for the obsolete parameters:
 * smtpd_tls_security_level wins when set to a value (in main.cf or -o); otherwise smtpd_enforce_tls=yes means
 * encrypt and smtpd_use_tls=yes means may. Server-side verify/secure/fingerprint mean encrypt.
 */
public final class SmtpdTlsLevel {
    private SmtpdTlsLevel() {}

    /** "none", "may" or "encrypt". */
    public static String of(Config c) {
        if (isExplicit(c)) {
            String l = c.get("smtpd_tls_security_level").toLowerCase(Locale.ROOT);
            return l.equals("none") ? "none" : l.equals("may") ? "may" : "encrypt";
        }
        if (c.bool("smtpd_enforce_tls")) {
            return "encrypt";
        }
        return c.bool("smtpd_use_tls") ? "may" : "none";
    }

    /** Set to a value: as in Postfix (smtpd.c), an empty smtpd_tls_security_level counts as unset. */
    static boolean isExplicit(Config c) {
        return c.isSet("smtpd_tls_security_level") && !c.get("smtpd_tls_security_level").isBlank();
    }
}

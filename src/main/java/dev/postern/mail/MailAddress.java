package dev.postern.mail;

import java.util.Locale;

/**
 * An envelope mailbox {@code local@domain} as it appears inside {@code <...>}. The local part is
 * kept exactly (it may be case-sensitive); the domain compares case-insensitively. Postern rejects
 * routing operators rather than interpreting them (see {@link #parse}).
 */
public record MailAddress(String localPart, String domain) {

    public static final int MAX_LOCAL_PART = 64;
    public static final int MAX_DOMAIN = 255;
    public static final int MAX_PATH = 256;

    /**
     * Parses the text between the angle brackets. Source routes ({@code @a,@b:user@dom}) are
     * stripped as RFC 5321 §4.1.1.3 recommends. Throws {@link IllegalArgumentException} with a
     * client-safe message for anything else that is not a plain mailbox: missing domain, a second
     * '@', '%' or '!' routing operators, address literals, a domain in bare IP-address form
     * ({@code user@1.2.3.4}, refused by Postfix unless resolve_numeric_domain=yes), over-long parts,
     * control characters.
     */
    public static MailAddress parse(String text) {
        String t = text;
        if (t.startsWith("@")) {
            int colon = t.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("bad source route");
            }
            t = t.substring(colon + 1);
        }
        if (t.length() > MAX_PATH) {
            throw new IllegalArgumentException("address too long");
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == ' ' || c == '\\' || c == ',') {
                throw new IllegalArgumentException("invalid character in address");
            }
        }
        int at = t.lastIndexOf('@');
        if (at <= 0 || at == t.length() - 1) {
            throw new IllegalArgumentException("address needs local-part@domain");
        }
        String local = t.substring(0, at);
        String domain = t.substring(at + 1);
        if (local.indexOf('@') >= 0 || local.indexOf('%') >= 0 || local.indexOf('!') >= 0 || local.indexOf('"') >= 0) {
            throw new IllegalArgumentException("routing operators and quoted local parts are not accepted");
        }
        if (local.length() > MAX_LOCAL_PART) {
            throw new IllegalArgumentException("local part too long");
        }
        if (domain.length() > MAX_DOMAIN) {
            throw new IllegalArgumentException("domain too long");
        }
        if (domain.startsWith("[")) {
            throw new IllegalArgumentException("address literals are not accepted");
        }
        if (domain.startsWith(".") || domain.endsWith(".") || domain.contains("..")) {
            throw new IllegalArgumentException("malformed domain");
        }
        for (int i = 0; i < domain.length(); i++) {
            char c = domain.charAt(i);
            boolean ok = Character.isLetterOrDigit(c) || c == '-' || c == '.' || c > 0x7f;
            if (!ok) {
                throw new IllegalArgumentException("malformed domain");
            }
        }
        if (isNumeric(domain)) {
            // Postfix trivial-rewrite resolve.c: a domain in bare network-address form is invalid
            // (RESOLVE_FLAG_ERROR, since valid_hostname() refuses all-numeric names) unless
            // resolve_numeric_domain=yes; smtpd then answers 501 "Bad ... address syntax".
            throw new IllegalArgumentException("numeric domain");
        }
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            throw new IllegalArgumentException("malformed local part");
        }
        return new MailAddress(local, domain);
    }

    /** Only digits and dots, like {@code 1.2.3.4} or {@code 123}: Postfix's valid_hostname() "numeric hostname". */
    private static boolean isNumeric(String domain) {
        for (int i = 0; i < domain.length(); i++) {
            char c = domain.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /** Lower-cased domain, for routing and table lookups. */
    public String domainKey() {
        return domain.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return localPart + "@" + domain;
    }
}

package dev.postern.smtp;

import java.net.IDN;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The name the SMTP client sends in TLS's Server Name Indication (Postfix 3.4's
 * smtp_tls_servername and the policy attribute {@code servername=}): empty sends none (Postfix's
 * default: some servers abort a handshake for a name they have no certificate for),
 * {@code hostname} the server's host name (the MX host, or the next hop's host when there is no MX
 * lookup), {@code nexthop} the next-hop domain, anything else that name, which must be written in
 * A-labels as Postfix requires ({@code xn--...}; the error suggests the form). The {@code hostname}
 * and {@code nexthop} names are sent in A-labels, as Postfix's tls_client.c converts them. Unlike
 * Postfix, an IP address is never sent (RFC 6066 §3 allows only host names), nor a name that is
 * not letters, digits and hyphens (the TLS libraries refuse it; Postfix's valid_hostname allows
 * '_').
 */
final class ServerNameIndication {
    /** An LDH label (RFC 5890): letters, digits and '-', not starting or ending with '-'; what SNIHostName takes. */
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?");

    private ServerNameIndication() {}

    /**
     * Checks a smtp_tls_servername value or a servername= attribute.
     * @throws IllegalArgumentException naming what is wrong, for the configuration check
     */
    static String validate(String value, String what) {
        String v = value.strip();
        if (v.isEmpty() || v.equals("hostname") || v.equals("nexthop")) {
            return v;
        }
        String a = ascii(v);
        if (!validHostname(a)) {
            throw new IllegalArgumentException(what + ": \"" + value + "\" is not a valid host name; use a DNS name"
                    + " (letters, digits, hyphens), hostname (the server's name) or nexthop (the next-hop domain), or leave"
                    + " it empty for no SNI");
        }
        if (!a.equalsIgnoreCase(v)) { // as Postfix: a literal SNI name must already be in A-label form
            throw new IllegalArgumentException(what + ": \"" + value + "\" must be written in A-labels, as Postfix requires:"
                    + " write " + a.toLowerCase(Locale.ROOT));
        }
        return v;
    }

    /**
     * The name to send for a session, or null for none.
     * @param setting the policy's servername= if it has one, else smtp_tls_servername
     * @param serverHost the server's host name as connected to (MX host, or the next hop's host)
     * @param nexthopDomain the next hop's domain (without brackets and port)
     */
    static String resolve(String setting, String serverHost, String nexthopDomain) {
        String name = switch (setting) {
            case "" -> null;
            case "hostname" -> serverHost;
            case "nexthop" -> nexthopDomain;
            default -> setting;
        };
        if (name == null || name.isEmpty()) {
            return null;
        }
        String a = ascii(name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
        // An address literal ([1.2.3.4] next hop, or an MX-less host given as an address) has no name to indicate.
        return a == null || a.length() > 255 || !validHostname(a) || isAddress(a) ? null : a.toLowerCase(Locale.ROOT);
    }

    private static String ascii(String name) {
        try {
            return IDN.toASCII(name, IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean validHostname(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            return false;
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return !name.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch)); // all-numeric: an IPv4 address
    }

    private static boolean isAddress(String name) {
        return name.indexOf(':') >= 0 || name.chars().allMatch(ch -> ch == '.' || Character.isDigit(ch));
    }
}

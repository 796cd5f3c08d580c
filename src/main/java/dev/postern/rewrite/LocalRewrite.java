package dev.postern.rewrite;

/**
 * trivial-rewrite's rewrite_tree() on one address in external form, as cleanup applies it (the
 * "local" context: {@code @$myorigin} for an address without a domain; the "remote" context:
 * {@code @$remote_header_rewrite_domain}). A source route ({@code @a,@b:user@c}) is dropped, a
 * lone {@code @} becomes the empty address, a trailing dot after the domain is removed.
 * append_dot_mydomain, swap_bangpath and allow_percent_hack are not implemented (Postern's
 * envelope refuses {@code !} and {@code %} addresses).
 */
final class LocalRewrite {
    private LocalRewrite() {}

    /**
     * @param origin the domain to append to an address without one; empty: none is appended
     */
    static String canonicalize(String address, String origin) {
        String a = address;
        if (a.isEmpty() || a.equals("\"\"")) {
            return a;
        }
        if (a.equals("@")) {
            return "\"\"";
        }
        if (a.startsWith("@")) {
            int colon = a.indexOf(':');
            if (colon > 0 && colon < a.length() - 1) {
                a = a.substring(colon + 1);
            }
        }
        if (lastAt(a) < 0 && !origin.isEmpty()) {
            a = a + "@" + origin;
        }
        int n = a.length();
        if (n > 1 && a.charAt(n - 1) == '.' && a.charAt(n - 2) != '.' && a.charAt(n - 2) != '@') {
            a = a.substring(0, n - 1);
        }
        return a;
    }

    /** The last '@' outside a quoted string, or -1. */
    static int lastAt(String a) {
        int at = -1;
        boolean quoted = false;
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == '@' && !quoted) {
                at = i;
            }
        }
        return at;
    }
}

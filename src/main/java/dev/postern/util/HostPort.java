package dev.postern.util;

/**
 * A Postfix next-hop or listen address: {@code host}, {@code host:port}, {@code [host]},
 * {@code [host]:port}, {@code [::1]:port}. {@code bracketed} means "no MX lookup" for next hops.
 * {@code port} is -1 when absent.
 */
public record HostPort(String host, int port, boolean bracketed) {

    public static HostPort parse(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("missing ']' in \"" + text + "\"");
            }
            String host = t.substring(1, close);
            String rest = t.substring(close + 1);
            int port = -1;
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("expected ':port' after ']' in \"" + text + "\"");
                }
                port = parsePort(rest.substring(1), text);
            }
            return new HostPort(host, port, true);
        }
        int colon = t.lastIndexOf(':');
        if (colon >= 0 && t.indexOf(':') == colon) {
            return new HostPort(t.substring(0, colon), parsePort(t.substring(colon + 1), text), false);
        }
        return new HostPort(t, -1, false);
    }

    private static int parsePort(String p, String text) {
        try {
            int port = Integer.parseInt(p);
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port \"" + p + "\" in \"" + text + "\"");
        }
    }

    public int portOr(int defaultPort) {
        return port < 0 ? defaultPort : port;
    }

    @Override
    public String toString() {
        String h = bracketed ? "[" + host + "]" : host;
        return port < 0 ? h : h + ":" + port;
    }
}

package dev.postern.dns;

/**
 * A name that could not be resolved, with Postfix's wording (dns_strerror): NXDOMAIN is
 * {@link Kind#NOT_FOUND} ("Host not found", permanent), SERVFAIL, REFUSED and timeouts are
 * {@link Kind#TRY_AGAIN} ("Host not found, try again", temporary), an existing name without records
 * of the type is {@link Kind#NO_DATA}.
 */
public final class DnsException extends Exception {
    public enum Kind {
        NOT_FOUND("Host not found"),
        TRY_AGAIN("Host not found, try again"),
        NO_DATA("Host found but no data record of requested type");

        private final String text;

        Kind(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private final Kind kind;
    private final String name;
    private final String type;

    public DnsException(Kind kind, String name, String type) {
        super("Name service error for name=" + name + " type=" + type + ": " + kind.text());
        this.kind = kind;
        this.name = name;
        this.type = type;
    }

    public Kind kind() {
        return kind;
    }

    public String name() {
        return name;
    }

    public String type() {
        return type;
    }

    public boolean temporary() {
        return kind == Kind.TRY_AGAIN;
    }
}

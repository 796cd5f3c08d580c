package dev.postern.maps;

/** A temporary lookup failure: the table could not answer. Callers defer (4xx), never "not found". */
public class LookupException extends Exception {
    private final String parameter;

    public LookupException(String message) {
        this(null, message, null);
    }

    public LookupException(String message, Throwable cause) {
        this(null, message, cause);
    }

    /** A failure of one of {@code parameter}'s tables (e.g. transport_maps). */
    public LookupException(String parameter, String message, Throwable cause) {
        super(message, cause);
        this.parameter = parameter;
    }

    /** The parameter whose table failed, or null when not known. */
    public String parameter() {
        return parameter;
    }
}

package dev.postern.maps;

/** A temporary lookup failure: the table could not answer. Callers defer (4xx), never "not found". */
public class LookupException extends Exception {
    public LookupException(String message) {
        super(message);
    }

    public LookupException(String message, Throwable cause) {
        super(message, cause);
    }
}

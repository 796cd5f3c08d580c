package dev.postern.config;

import java.util.List;

/**
 * One parameter: its Postfix name, value type, default (Postfix's raw text, which may reference
 * other parameters with $name), a one-line description, whether Postern honours it, and Postfix's
 * bounds for numbers and times.
 *
 * @param status     what Postern does with a value set in main.cf or master.cf -o
 * @param onlyValue  for {@link Status#FIXED}: the one value Postern behaves as (other values are warned about)
 * @param min        least value (INT, SIZE; TIME in seconds), or null for none
 * @param max        greatest value (same units), or null for none
 * @param choices    the words a STRING value (or each LIST item) may be, as Postfix's name tables; null: any
 */
public record Param(String name, Type type, String defaultValue, String doc, Status status, String onlyValue,
                   Long min, Long max, List<String> choices) {
    public enum Type { STRING, BOOL, INT, TIME, SIZE, LIST }

    /** What a setting does. Every parameter has exactly one; check and start warn about the last two. */
    public enum Status {
        /** Read and honoured by the code. */
        IMPLEMENTED,
        /** Postfix's purpose is met by Postern's design (the doc says how); the value needs no effect. */
        BUILT_IN,
        /** Postern always behaves as {@link #onlyValue()}; setting any other value has no effect. */
        FIXED,
        /** Accepted so that a Postfix main.cf loads, but it has no effect: warned about when set. */
        NOT_IMPLEMENTED
    }

    public Param {
        if ((status == Status.FIXED) != (onlyValue != null)) {
            throw new IllegalArgumentException(name + ": a FIXED parameter, and only one, has an onlyValue");
        }
    }

    public Param(String name, Type type, String defaultValue, String doc) {
        this(name, type, defaultValue, doc, Status.IMPLEMENTED, null, null, null, null);
    }

    Param withRange(Long newMin, Long newMax) {
        return new Param(name, type, defaultValue, doc, status, onlyValue, newMin, newMax, choices);
    }

    Param withChoices(List<String> words) {
        return new Param(name, type, defaultValue, doc, status, onlyValue, min, max, List.copyOf(words));
    }

    /**
     * The unit of a bare TIME value: Postfix takes it from the default value ("5d": days, "300s":
     * seconds), so {@code maximal_queue_lifetime = 5} means five days.
     */
    public char defaultUnit() {
        String d = defaultValue.strip();
        char last = d.isEmpty() ? 's' : Character.toLowerCase(d.charAt(d.length() - 1));
        return "smhdw".indexOf(last) >= 0 ? last : 's';
    }

    /** A short word for docs/parameters.md. */
    public String statusLabel() {
        return switch (status) {
            case IMPLEMENTED -> "yes";
            case BUILT_IN -> "built in";
            case FIXED -> "only `" + onlyValue + "`";
            case NOT_IMPLEMENTED -> "**no**";
        };
    }
}

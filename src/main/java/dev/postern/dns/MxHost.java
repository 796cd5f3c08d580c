package dev.postern.dns;

/** One MX record: the exchanger's name (no trailing dot; "" for the null MX {@code 0 .}) and its preference. */
public record MxHost(String name, int preference) {
    /** RFC 7505: a single {@code 0 .} says the domain accepts no mail. */
    public boolean isNull() {
        return name.isEmpty();
    }
}

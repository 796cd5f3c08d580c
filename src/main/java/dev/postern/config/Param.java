package dev.postern.config;

/**
 * One supported parameter: its Postfix name, value type, default (Postfix's raw text, which may
 * reference other parameters with $name), and a one-line description.
 */
public record Param(String name, Type type, String defaultValue, String doc) {
    public enum Type { STRING, BOOL, INT, TIME, SIZE, LIST }
}

package dev.postern.config;

/** A parameter value as written, with where it was written. */
record Setting(String name, String value, String file, int line) {
    String origin() {
        return file + ":" + line;
    }
}

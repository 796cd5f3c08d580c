package dev.postern.protocol;

/** A command line split into its verb word and argument text (without the separating space). */
public record CommandLine(String word, Verb verb, String argument) {

    public static CommandLine parse(String line) {
        String t = line.strip();
        int sp = t.indexOf(' ');
        String word = sp < 0 ? t : t.substring(0, sp);
        String arg = sp < 0 ? "" : t.substring(sp + 1).strip();
        return new CommandLine(word, Verb.of(word), arg);
    }
}

package dev.postern.protocol;

/**
 * A command line split into its verb word and argument text (without the separating white space).
 * Words are separated by spaces or tabs, as Postfix's smtpd_token() separates them.
 */
public record CommandLine(String word, Verb verb, String argument) {

    public static CommandLine parse(String line) {
        String t = line.strip();
        int sp = 0;
        while (sp < t.length() && t.charAt(sp) != ' ' && t.charAt(sp) != '\t') {
            sp++;
        }
        String word = t.substring(0, sp);
        String arg = t.substring(sp).strip();
        return new CommandLine(word, Verb.of(word), arg);
    }
}

package dev.postern.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Passwords from a file or the terminal, never from the command line (visible in ps and shell history). */
final class Passwords {
    private Passwords() {
    }

    static char[] read(Path file, String prompt) throws IOException {
        if (file != null) {
            String first;
            try {
                first = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("");
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IOException(file + ": no such file (the PKCS#12 password file)", e);
            }
            if (first.isEmpty()) {
                throw new IOException(file + ": the first line (the password) is empty");
            }
            return first.toCharArray();
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new IOException("no terminal to ask for the " + prompt + ": give it with --p12-password-file FILE");
        }
        char[] a = console.readPassword("%s: ", prompt);
        char[] b = console.readPassword("%s (again): ", prompt);
        if (a == null || a.length == 0 || !Arrays.equals(a, b)) {
            throw new IOException("the passwords were empty or did not match");
        }
        Arrays.fill(b, '\0');
        return a;
    }
}

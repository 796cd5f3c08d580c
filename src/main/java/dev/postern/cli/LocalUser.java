package dev.postern.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The invoking user, as sendmail needs it: login name, user ID, full name. Linux-specific where noted. */
final class LocalUser {
    private LocalUser() {}

    /** The JDK reads it with getpwuid(getuid()), as Postfix's username() does. */
    static String loginName() {
        String name = System.getProperty("user.name", "");
        return name.equals("?") ? "" : name;
    }

    /** The real user ID: the owner of /proc/self (Linux); -1 when unknown. */
    static long uid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Postfix's fullname(): $NAME if set, else the password file's GECOS field up to the first
     * comma, with '&' standing for the capitalized login name. Empty when there is none.
     */
    static String fullName() {
        String env = System.getenv("NAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        String login = loginName();
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":", -1);
                if (f.length >= 5 && f[0].equals(login)) {
                    String gecos = f[4].split(",", 2)[0];
                    String cap = login.isEmpty() ? login : Character.toUpperCase(login.charAt(0)) + login.substring(1);
                    return gecos.replace("&", cap);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no password file: no full name
        }
        return "";
    }
}

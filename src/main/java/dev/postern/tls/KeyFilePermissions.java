package dev.postern.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * {@code postern check} (and start) warning for a private key file that users other than its owner
 * can read: whoever can read the server's key can impersonate the server. Only a warning, as in
 * Postfix: the operator may have reasons (a group shared with a certificate renewal tool).
 */
public final class KeyFilePermissions {
    private static final Set<PosixFilePermission> NOT_OWNER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);

    private KeyFilePermissions() {
    }

    /**
     * @param parameter the main.cf parameter that names the file (for the message)
     * @return the warning, or empty when only the owner can read and write it (or the file system
     *     has no POSIX modes, or the file is missing: other checks report that)
     */
    public static Optional<String> warning(String parameter, Path keyFile) {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(keyFile);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty();
        }
        Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
        loose.addAll(perms);
        loose.retainAll(NOT_OWNER);
        if (loose.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parameter + " " + keyFile + ": the private key is accessible to group or others (mode "
                + mode(perms) + " " + PosixFilePermissions.toString(perms) + "): chmod 600 " + keyFile
                + " and make the user postern runs as its owner");
    }

    private static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0 = 0400 ... OTHERS_EXECUTE is 8 = 0001
        }
        return String.format("%04o", m);
    }
}

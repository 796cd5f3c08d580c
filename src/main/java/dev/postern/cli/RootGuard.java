package dev.postern.cli;

/**
 * Postern refuses to run its daemon as root unless told to: a server that parses mail from the
 * network should not hold root's rights, and it needs none (systemd grants CAP_NET_BIND_SERVICE
 * for ports below 1024). {@code --allow-root} or {@code POSTERN_ALLOW_ROOT=yes} say "I mean it"
 * (containers, throwaway tests; the test suite sets the variable).
 */
final class RootGuard {
    static final String ENV = "POSTERN_ALLOW_ROOT";

    private RootGuard() {}

    /** @return null when the daemon may run, else the message that says how to run it instead */
    static String refusal(long uid, boolean allowRootOption, String envValue) {
        if (uid != 0 || allowRootOption || envValue != null && envValue.trim().matches("(?i)yes|true|1")) {
            return null;
        }
        return "refusing to run as root: Postern needs no root rights and should not hold them.\n"
                + "  Run it as an unprivileged user instead: with the Debian package, 'systemctl start postern'\n"
                + "  (user postern, CAP_NET_BIND_SERVICE for ports 25/465/587); by hand, 'runuser -u postern -- postern start'\n"
                + "  (that user must own queue_directory and be able to read the TLS keys).\n"
                + "  To run as root anyway (a container, a throwaway test), add --allow-root or set " + ENV + "=yes.";
    }

    /** The check for this process: the real user ID (Linux) and the environment. */
    static String refusal(boolean allowRootOption) {
        return refusal(LocalUser.uid(), allowRootOption, System.getenv(ENV));
    }
}

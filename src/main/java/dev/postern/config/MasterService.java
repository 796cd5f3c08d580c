package dev.postern.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One master.cf row Postern runs: {@code service type private unpriv chroot wakeup maxproc command args}.
 * Two kinds: an {@code inet} service running {@code smtpd} (a listener; {@code name} is the listen
 * address: {@code 587}, {@code 127.0.0.1:2525}, {@code [::1]:587}), or a {@code unix} service
 * running {@code smtp} under a name of the user's own (a delivery transport, as Postfix's
 * {@code isp unix - - n - - smtp -o ...}; {@code name} is the transport name that transport_maps,
 * default_transport and relay_transport use). {@code overrides} are the {@code -o name=value}
 * pairs in order (values raw, already joined across continuation lines); {@code args} the
 * remaining command arguments.
 */
public record MasterService(String name, String type, String command, Map<String, String> overrides,
                            List<String> args, String maxproc, String file, int line) {
    /**
     * Transports Postern has without a master.cf line, and whose master.cf lines it ignores:
     * {@code smtp} and {@code relay} (the SMTP client with main.cf's settings), {@code error},
     * {@code retry} and {@code local}.
     */
    public static final Set<String> BUILT_IN_TRANSPORTS = Set.of("smtp", "relay", "error", "retry", "local");

    public String origin() {
        return file + ":" + line;
    }

    /** A delivery transport of the user's own running Postern's SMTP client. */
    public boolean isSmtpTransport() {
        return type.equals("unix") && command.equals("smtp");
    }

    /** An SMTP listener. */
    public boolean isSmtpd() {
        return type.equals("inet") && command.equals("smtpd");
    }
}

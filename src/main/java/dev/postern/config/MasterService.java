package dev.postern.config;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One master.cf row Postern runs: {@code service type private unpriv chroot wakeup maxproc command args}.
 * Three kinds: an {@code inet} service running {@code smtpd} (a listener; {@code name} is the listen
 * address: {@code 587}, {@code 127.0.0.1:2525}, {@code [::1]:587}), or a {@code unix} service
 * running {@code smtp} (a delivery transport: one of the user's own, as Postfix's
 * {@code isp unix - - n - - smtp -o ...}, or the line of the built-in {@code smtp} or
 * {@code relay} transport; {@code name} is the transport name that transport_maps,
 * default_transport and relay_transport use), or the {@code pickup} line ({@code pickup unix n - y
 * 60 1 pickup}, type {@code unix} or {@code fifo}: Postern's one pickup then applies its -o, such as
 * a content_filter for local submissions). {@code overrides} are the {@code -o name=value}
 * pairs in order (values raw, already joined across continuation lines); {@code args} the
 * remaining command arguments.
 */
public record MasterService(String name, String type, String command, Map<String, String> overrides,
                            List<String> args, String maxproc, String file, int line) {
    /**
     * Transports Postern has without a master.cf line: {@code smtp} and {@code relay} (the SMTP
     * client with main.cf's settings, or with their line's -o, see {@link #BUILT_IN_SMTP_TRANSPORTS}),
     * {@code error}, {@code retry} and {@code local} (whose master.cf lines are ignored with a note).
     */
    public static final Set<String> BUILT_IN_TRANSPORTS = Set.of("smtp", "relay", "error", "retry", "local");
    /**
     * The built-in transports that run the SMTP client: as in Postfix's stock master.cf
     * ({@code relay unix - - n - - smtp -o syslog_name=postfix/$service_name}), their line's -o
     * options apply to them; without a line, or without -o, they use main.cf's settings.
     */
    public static final Set<String> BUILT_IN_SMTP_TRANSPORTS = Set.of("smtp", "relay");

    public String origin() {
        return file + ":" + line;
    }

    /** A delivery transport running Postern's SMTP client: one of the user's own, or the smtp or relay line. */
    public boolean isSmtpTransport() {
        return type.equals("unix") && command.equals("smtp");
    }

    /** The master.cf line of the built-in smtp or relay transport (which exist without it too). */
    public boolean isBuiltInTransport() {
        return isSmtpTransport() && BUILT_IN_SMTP_TRANSPORTS.contains(name);
    }

    /** The pickup line (Postern's pickup exists without it too, then with main.cf's settings). */
    public boolean isPickup() {
        return command.equals("pickup") && (type.equals("unix") || type.equals("fifo"));
    }

    /**
     * A cleanup service ({@code name unix n - y - 0 cleanup}): its -o header and body checks apply to
     * the mail of the services whose cleanup_service_name names it.
     */
    public boolean isCleanup() {
        return type.equals("unix") && command.equals("cleanup");
    }

    /** An SMTP listener. */
    public boolean isSmtpd() {
        return type.equals("inet") && command.equals("smtpd");
    }
}

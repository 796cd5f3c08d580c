package dev.postern.pickup;

import dev.postern.config.Config;
import dev.postern.config.MasterService;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What pickup reads: the spool location, the names for its Received header (cleanup completes
 * unqualified header addresses, in the local rewrite context), the content_filter stored with each message (as Postfix's pickup.c
 * writes its FILTER record; empty: none), its log tag, and how often it scans maildrop/ in case a
 * file-system event was missed (Postfix's pickup is woken by postdrop and by master's 60 s timer;
 * Postern watches the directory, which sees every file sendmail renames into it, and scans every
 * 60 s as well, as the stock line's wakeup: a scan every second woke an idle daemon for nothing).
 *
 * <p>content_filter and syslog_name come from master.cf's pickup line when it has an -o for them
 * (Postfix's pickup reads its own service configuration: a filter set only there must not be
 * bypassed by sendmail mail), else from main.cf. The others are main.cf's whatever the line says:
 * in Postfix, cleanup adds the Received header and completes addresses, not pickup.
 *
 * @param headerBodyChecks false when receive_override_options (the line's -o, else main.cf's) has
 *                   no_header_body_checks
 * @param addressMappings false when receive_override_options has no_address_mappings
 * @param cleanupService cleanup_service_name (the line's -o, else main.cf's): whose header and body checks apply
 * @param syslogName the pickup line's own -o syslog_name (its lines then log as
 *                   {@code <syslog_name>/pickup}); empty: the server's, which a reload cannot change
 */
public record PickupSettings(Path queueDirectory, String myhostname, String mailName,
                             Duration scanInterval, String contentFilter, String syslogName, boolean headerBodyChecks,
                             String cleanupService, boolean addressMappings) {
    /** The scan for a missed event, as the wakeup column of Postfix's stock pickup line. */
    static final Duration SCAN_INTERVAL = Duration.ofSeconds(60);

    public static PickupSettings from(Config c) {
        Optional<MasterService> line = line(c);
        Config own = configFor(c);
        // Only an -o of the line's own, as for transports: main.cf's syslog_name needs a restart.
        String syslogName = line.isPresent() && line.get().overrides().containsKey("syslog_name") ? own.get("syslog_name") : "";
        return new PickupSettings(Path.of(c.get("queue_directory")), c.get("myhostname"), c.get("mail_name"),
                SCAN_INTERVAL,
                own.get("content_filter").strip(), syslogName,
                !own.list("receive_override_options").contains("no_header_body_checks"),
                own.get("cleanup_service_name").strip(),
                !own.list("receive_override_options").contains("no_address_mappings"));
    }

    /** master.cf's pickup line, if it has one (at most one: a second is a config error). */
    public static Optional<MasterService> line(Config c) {
        return c.services().stream().filter(MasterService::isPickup).findFirst();
    }

    /** The configuration pickup reads its per-line parameters from: its master.cf line's -o over main.cf. */
    public static Config configFor(Config c) {
        return line(c).map(c::forService).orElse(c);
    }
}

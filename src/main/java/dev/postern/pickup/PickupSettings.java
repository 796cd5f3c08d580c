package dev.postern.pickup;

import dev.postern.config.Config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What pickup reads: the spool location, the names for its Received header, the domain for
 * unqualified header addresses, main.cf's content_filter (stored with each message, as Postfix's
 * pickup.c writes its FILTER record; empty: none), and how often it
 * scans maildrop/ in case a file-system event was missed (Postfix's pickup is woken by postdrop
 * and by master's 60 s timer; Postern watches the directory and scans every second as well).
 */
public record PickupSettings(Path queueDirectory, String myhostname, String mailName, String headerOrigin,
                             Duration scanInterval, String contentFilter) {
    /** {@code headerOrigin}: $myorigin when append_at_myorigin = yes, else empty (header addresses kept). */
    public static PickupSettings from(Config c) {
        return new PickupSettings(Path.of(c.get("queue_directory")), c.get("myhostname"), c.get("mail_name"),
                c.bool("append_at_myorigin") ? c.get("myorigin") : "", Duration.ofSeconds(1), c.get("content_filter").strip());
    }
}

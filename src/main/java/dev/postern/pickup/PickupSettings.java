package dev.postern.pickup;

import dev.postern.config.Config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What pickup reads: the spool location, the names for its Received header, and how often it
 * scans maildrop/ in case a file-system event was missed (Postfix's pickup is woken by postdrop
 * and by master's 60 s timer; Postern watches the directory and scans every second as well).
 */
public record PickupSettings(Path queueDirectory, String myhostname, String mailName, Duration scanInterval) {
    public static PickupSettings from(Config c) {
        return new PickupSettings(Path.of(c.get("queue_directory")), c.get("myhostname"), c.get("mail_name"),
                Duration.ofSeconds(1));
    }
}

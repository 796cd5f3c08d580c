package dev.postern.server;

import dev.postern.config.Config;

import java.util.ArrayList;
import java.util.List;

/**
 * What a reload cannot apply in the running process, and must say so: the spool's directory and
 * the mail log's file and name are open for the process's life. A changed parameter there takes
 * effect at the next stop and start. Everything else is rebuilt by the reload itself: smtpd,
 * cleanup, pickup, the SMTP client, and the queue manager's routing, timing, limits (including
 * default_process_limit, the deliveries at once) and bounce settings.
 */
final class ReloadScope {
    private ReloadScope() {}

    static List<String> needsRestart(Config old, Config next) {
        List<String> changed = new ArrayList<>();
        for (String p : List.of("queue_directory", "maillog_file", "syslog_name", "syslog_facility",
                "postern_maillog_format", "postern_syslog_socket", "postern_metrics_listen")) {
            if (!old.get(p).equals(next.get(p))) {
                changed.add(p);
            }
        }
        if (changed.isEmpty()) {
            return List.of();
        }
        return List.of("reload cannot apply the changed " + String.join(", ", changed)
                + ": they take effect after postern stop; postern start");
    }
}

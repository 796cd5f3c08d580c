package dev.postern.server;

import dev.postern.bounce.BounceSettings;
import dev.postern.config.Config;
import dev.postern.qmgr.QmgrSettings;
import dev.postern.qmgr.RouterSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a reload cannot apply in the running process, and must say so: the queue manager, its
 * router and bounce settings are built once (qmgr has no way to swap them under its running
 * deliveries yet), the spool's directory and the mail log's file and name are open for the
 * process's life. A changed parameter there takes effect at the next stop and start; everything
 * smtpd, cleanup, pickup and the SMTP client read is rebuilt by the reload itself.
 */
final class ReloadScope {
    private ReloadScope() {}

    static List<String> needsRestart(Config old, Config next) {
        List<String> stages = new ArrayList<>();
        for (String p : List.of("queue_directory", "maillog_file", "syslog_name", "syslog_facility",
                "postern_maillog_format", "postern_syslog_socket", "postern_metrics_listen")) {
            if (!old.get(p).equals(next.get(p))) {
                stages.add(p);
            }
        }
        if (!QmgrSettings.from(old).equals(QmgrSettings.from(next))) {
            stages.add("queue manager");
        }
        if (!RouterSettings.from(old).equals(RouterSettings.from(next))) {
            stages.add("routing (transport and relayhost settings)");
        }
        if (!BounceSettings.from(old).equals(BounceSettings.from(next))) {
            stages.add("bounce");
        }
        if (stages.isEmpty()) {
            return List.of();
        }
        return List.of("reload cannot apply the changed " + String.join(", ", stages) + " settings ("
                + String.join(", ", changedNonSmtpd(old, next)) + "): they take effect after postern stop; postern start");
    }

    /** main.cf parameters whose value changed, but for smtpd's and the SMTP client's (the reload applies those). */
    private static TreeSet<String> changedNonSmtpd(Config old, Config next) {
        Map<String, String> a = old.explicitValues();
        Map<String, String> b = next.explicitValues();
        TreeSet<String> names = new TreeSet<>(a.keySet());
        names.addAll(b.keySet());
        names.removeIf(n -> Objects.equals(a.get(n), b.get(n)) || n.startsWith("smtpd_") || n.startsWith("smtp_")
                || n.startsWith("postern_smtpd_") || n.startsWith("postern_smtp_"));
        return names;
    }
}

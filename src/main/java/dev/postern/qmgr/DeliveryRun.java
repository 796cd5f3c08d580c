package dev.postern.qmgr;

import dev.postern.log.MailLog;
import dev.postern.mail.DeliveryRequest;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.RecipientResult;
import dev.postern.queue.QueueEnvelope;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One job's delivery through its transport's agent, made safe: whatever the agent does (throws,
 * returns nothing, forgets a recipient) every recipient gets exactly one result, and a problem is
 * a deferral with the reason (4.3.0), never a message stuck in active/. Logs each result as
 * Postfix does, under the transport's name.
 */
final class DeliveryRun {
    /** Replaced whole by a reload (transports added to or removed from master.cf); read once per use. */
    private volatile Map<String, Transport> transports;
    private final MailLog log;
    private final Clock clock;

    DeliveryRun(List<Transport> transports, MailLog log, Clock clock) {
        this.transports = byName(transports);
        this.log = log;
        this.clock = clock;
    }

    /** A reload's transports: jobs that start from now on use them. */
    void replace(List<Transport> next) {
        transports = byName(next);
    }

    private static Map<String, Transport> byName(List<Transport> list) {
        Map<String, Transport> m = new HashMap<>();
        list.forEach(t -> m.put(t.name(), t));
        return Map.copyOf(m);
    }

    /** Whether the job can go to an agent; jobs without one are deferred at once (see {@link #noAgent}). */
    boolean hasAgent(Route route) {
        return !route.local() && transports.containsKey(route.transport());
    }

    /**
     * Deferred, never lost: local mail (no local delivery agent), or a transport no master.cf line
     * defines (Postfix's qmgr: "connect to transport private/isp: No such file or directory",
     * then "mail transport unavailable", 4.3.0). The warning names the transport and the fix.
     */
    List<RecipientResult> noAgent(Job job) {
        Route route = job.route();
        String why = route.local() ? "mail for " + route.nexthop() + " is local, and Postern has no local delivery agent yet"
                : "mail transport unavailable";
        if (!route.local()) {
            log.warning("qmgr", job.message().queueId() + ": transport " + route.transport() + " is not defined: no"
                    + " master.cf line \"" + route.transport() + " unix - - n - - smtp\" and not a built-in transport"
                    + " (smtp, relay, error, retry); its mail is deferred until master.cf defines it or the route changes");
        }
        String dsn = route.local() ? "4.3.5" : "4.3.0";
        List<RecipientResult> out = new ArrayList<>();
        for (MailAddress r : job.recipients()) {
            out.add(new RecipientResult.Deferred(r, "none", dsn, why, Duration.ZERO, Duration.ZERO));
        }
        logged(job, out, clock.instant(), log, "qmgr", "qmgr");
        return out;
    }

    List<RecipientResult> deliver(Job job) {
        Transport t = transports.get(job.route().transport());
        if (t == null) { // removed from master.cf by a reload while the job waited for a slot
            return noAgent(job);
        }
        ActiveMessage m = job.message();
        QueueEnvelope env = m.current().envelope();
        Instant handed = clock.instant();
        List<RecipientResult> results;
        try {
            results = t.agent().deliver(new DeliveryRequest(env.id(), env.sender(),
                    job.recipients(), job.route().transport(), job.route().nexthop(), m.content(), env.arrival(),
                    env.eightBitMime(), env.smtpUtf8(), env.dsn(), dsnOf(env, job.recipients())));
            results = complete(job, results);
        } catch (Throwable e) {
            results = failed(job, e.toString());
        }
        logged(job, results, handed, t.log(), t.program(), t.name());
        return results;
    }

    /** The RFC 3461 NOTIFY/ORCPT of the recipients that gave them. */
    private static Map<MailAddress, RecipientDsn> dsnOf(QueueEnvelope env, List<MailAddress> recipients) {
        Map<MailAddress, RecipientDsn> out = new HashMap<>();
        for (MailAddress r : recipients) {
            RecipientDsn d = env.dsnOf(r);
            if (!d.isNone()) {
                out.put(r, d);
            }
        }
        return out;
    }

    /** Every recipient deferred with 4.3.0 because the agent failed; logged as a warning too. */
    List<RecipientResult> failed(Job job, String why) {
        log.warning("qmgr", job.message().queueId() + ": transport " + job.route().transport() + " failed: " + why);
        return deferAll(job.recipients(), "4.3.0", "unknown mail transport error: " + why);
    }

    /** Results for a dead destination's jobs: deferred without a connection attempt, as Postfix. */
    List<RecipientResult> suspended(Job job, RecipientResult cause) {
        List<RecipientResult> out = deferAll(job.recipients(), cause.dsn(),
                "delivery temporarily suspended: " + cause.diagnostic());
        logged(job, out, clock.instant(), log, "retry", "retry");
        return out;
    }

    /**
     * Whether the results say the destination itself failed (no connection, no greeting, a lost
     * connection: Postfix's "site" failures) rather than some recipients: then it is marked dead.
     */
    static RecipientResult siteFailure(List<RecipientResult> results) {
        if (results.isEmpty()) {
            return null;
        }
        for (RecipientResult r : results) {
            boolean site = r instanceof RecipientResult.Deferred
                    && (r.dsn().startsWith("4.4.") || r.diagnostic().contains(" refused to talk to me: "));
            if (!site) {
                return null;
            }
        }
        return results.get(0);
    }

    /** One result per recipient, whatever the agent returned. */
    private static List<RecipientResult> complete(Job job, List<RecipientResult> got) {
        List<RecipientResult> out = new ArrayList<>();
        for (MailAddress r : job.recipients()) {
            RecipientResult found = null;
            if (got != null) {
                for (RecipientResult g : got) {
                    if (g != null && g.recipient().equals(r)) {
                        found = g;
                        break;
                    }
                }
            }
            out.add(found != null ? found : new RecipientResult.Deferred(r, "none", "4.3.0",
                    "unknown mail transport error: no result for this recipient", Duration.ZERO, Duration.ZERO));
        }
        return out;
    }

    private static List<RecipientResult> deferAll(List<MailAddress> rcpts, String dsn, String why) {
        List<RecipientResult> out = new ArrayList<>();
        for (MailAddress r : rcpts) {
            out.add(new RecipientResult.Deferred(r, "none", dsn, why, Duration.ZERO, Duration.ZERO));
        }
        return out;
    }

    /** Each result as Postfix logs it, tagged {@code program} in {@code to}, counted in the metrics under {@code transport}. */
    private void logged(Job job, List<RecipientResult> results, Instant handed, MailLog to, String program, String transport) {
        ActiveMessage m = job.message();
        QueueEnvelope env = m.current().envelope();
        Instant now = clock.instant();
        Duration beforeQmgr = Duration.between(env.arrival(), m.picked());
        Duration inQmgr = Duration.between(m.picked(), handed);
        for (RecipientResult r : results) {
            to.delivery(program, transport, env.id().toString(), r, env.originalOf(r.recipient()), env.arrival(), now,
                    beforeQmgr, inQmgr);
        }
    }
}

package dev.postern.qmgr;

import dev.postern.bounce.Bounce;
import dev.postern.bounce.RecipientStatus;
import dev.postern.bounce.Report;
import dev.postern.log.MailLog;
import dev.postern.mail.Dsn;
import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.RecipientResult;
import dev.postern.queue.QueueEnvelope;
import dev.postern.queue.QueuedMessage;
import dev.postern.queue.Spool;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * How a message leaves the active queue, the only three ways: every recipient done, removed;
 * some deferred, to deferred/ with the next attempt time (backoff = its age capped at
 * maximal_backoff_time, then raised to minimal_backoff_time, and never later than its expiry); failed or
 * expired recipients, a bounce queued through {@link Bounce} first, then forgotten. Between
 * destination groups the recipients already sent are recorded in the queue file, so a crash never
 * sends to them again. Bounced recipients stay in the file until their bounce is queued: a crash
 * before that retries them (and bounces again), it never loses the bounce.
 */
final class Completion {
    private final Spool spool;
    private final QmgrSettings settings;
    private final Bounce bounce;
    private final MailLog log;
    private final Clock clock;

    Completion(Spool spool, QmgrSettings settings, Bounce bounce, MailLog log, Clock clock) {
        this.spool = spool;
        this.settings = settings;
        this.bounce = bounce;
        this.log = log;
        this.clock = clock;
    }

    /** Records one group's outcome; true when the message has left the active queue. */
    boolean groupDone(ActiveMessage m, List<RecipientResult> results) {
        notifySuccess(m, results);
        if (!m.groupDone(results)) {
            List<MailAddress> sent = m.takeUnrecorded();
            if (!sent.isEmpty()) {
                recordDone(m, sent);
            }
            return false;
        }
        finish(m);
        return true;
    }

    private void finish(ActiveMessage m) {
        QueuedMessage q = m.current();
        QueueEnvelope env = q.envelope();
        String qid = env.id().toString();
        Instant now = clock.instant();
        Duration age = Duration.between(env.arrival(), now);
        List<RecipientResult> deferred = m.deferred();
        boolean expired = !deferred.isEmpty() && age.compareTo(settings.lifetime(env.sender().isNull())) >= 0;
        List<RecipientResult> toReturn = new ArrayList<>(m.failed());
        Set<MailAddress> keep = new HashSet<>();
        deferred.forEach(d -> keep.add(d.recipient()));
        if (expired) {
            log.info("qmgr", qid + ": from=<" + env.sender() + ">, status=expired, returned to sender");
            toReturn.addAll(deferred);
            keep.clear();
        }
        if (!toReturn.isEmpty()) {
            if (!bounce.failed(report(m, toReturn, r -> null))) {
                // Not queued: keep those recipients; the next attempt bounces them again.
                toReturn.forEach(r -> keep.add(r.recipient()));
            }
        }
        boolean expandedSent = notifyExpanded(m);
        try {
            if (expandedSent && !keep.isEmpty()) {
                m.replace(spool.clearExpanded(m.current()));
                q = m.current();
            }
            if (keep.isEmpty()) {
                spool.remove(q.file());
                log.removed(qid);
                return;
            }
            List<MailAddress> done = env.recipients().stream().filter(r -> !keep.contains(r)).toList();
            if (!done.isEmpty()) {
                recordDone(m, done);
            }
            Instant notice = expired ? null : delayNotice(m, deferred, age, now);
            Map<MailAddress, String> reasons = new LinkedHashMap<>(); // shown by postern queue, as mailq does
            deferred.forEach(d -> reasons.put(d.recipient(), d.diagnostic()));
            spool.recordDeferral(m.current(), reasons, nextAttempt(env, now, age), notice);
        } catch (IOException e) {
            // Left in active/: moved back to incoming/ at the next start (a duplicate at worst, never a loss).
            log.warning("qmgr", qid + ": cannot update queue file: " + e.getMessage());
        }
    }

    /** now + backoff, but not after the message expires, so expiry is found when it is due. */
    private Instant nextAttempt(QueueEnvelope env, Instant now, Duration age) {
        Instant next = now.plus(settings.backoff(age));
        Instant expiry = env.arrival().plus(settings.lifetime(env.sender().isNull()));
        return expiry.isAfter(now) && expiry.isBefore(next) ? expiry : next;
    }

    /**
     * Sends the sender one delay notice once the message is older than delay_warning_time; returns
     * when it was queued (to be recorded in the queue file with the deferral, as Postfix clears
     * its warn record), or null when none went out now. Whether one went out before is read from
     * the queue file, so a restart never sends a second (a crash between queuing the notice and
     * recording it can, as with Postfix).
     */
    private Instant delayNotice(ActiveMessage m, List<RecipientResult> deferred, Duration age, Instant now) {
        Duration after = settings.delayWarningTime();
        QueueEnvelope env = m.current().envelope();
        if (after.isZero() || env.sender().isNull() || age.compareTo(after) < 0 || deferred.isEmpty()
                || m.current().delayNoticeSent() != null) {
            return null;
        }
        return bounce.delayed(report(m, deferred, r -> null)) ? now : null;
    }

    /**
     * RFC 3461 NOTIFY=SUCCESS: a notice for the recipients just sent, unless the next hop offered
     * DSN and took the request over (Postfix's smtp_rcpt_done()). Best effort: the mail went out,
     * so a notice that cannot be queued is only logged (by bounce), never a reason to resend.
     */
    private void notifySuccess(ActiveMessage m, List<RecipientResult> results) {
        QueueEnvelope env = m.current().envelope();
        List<RecipientResult> sent = results.stream()
                .filter(r -> r instanceof RecipientResult.Sent s && s.success() != RecipientResult.SuccessNotice.PASSED_ON
                        && env.dsnOf(r.recipient()).notifyOn().contains(RecipientDsn.Notify.SUCCESS))
                .toList();
        if (!sent.isEmpty()) {
            bounce.delivered(report(m, sent, r -> ((RecipientResult.Sent) r).success()
                    == RecipientResult.SuccessNotice.DELIVERED ? "delivered" : "relayed"));
        }
    }

    /**
     * The "expanded" success notice for the NOTIFY=SUCCESS recipients that virtual aliasing
     * expanded (Postfix's cleanup writes them to the trace file, qmgr_active_done() flushes it after
     * the first delivery attempt): {@code Action: expanded}, 2.0.0, "alias expanded". True when
     * one was owed and went out (or was not to be sent, the sender being null); false when none
     * was owed, or it could not be queued (best effort, as every success notice: the next attempt
     * tries again while the message stays).
     */
    private boolean notifyExpanded(ActiveMessage m) {
        QueueEnvelope env = m.current().envelope();
        if (env.expanded().isEmpty()) {
            return false;
        }
        return bounce.delivered(report(m, env.expanded().stream()
                .map(e -> RecipientStatus.expanded(e.address(), e.original(), e.dsn())).toList()));
    }

    /**
     * A notice's report: the message's RET and ENVID, each recipient's NOTIFY and ORCPT, and its
     * original address when rewriting changed it ("expanded from" in the notice).
     */
    private static Report report(ActiveMessage m, List<RecipientResult> results,
                                 Function<RecipientResult, String> action) {
        QueueEnvelope env = m.current().envelope();
        return report(m, results.stream()
                .map(r -> RecipientStatus.of(r, env.dsnOf(r.recipient()), action.apply(r), env.originalOf(r.recipient())))
                .toList());
    }

    /** A notice's report on these statuses, with the message's RET and ENVID. */
    private static Report report(ActiveMessage m, List<RecipientStatus> statuses) {
        QueueEnvelope env = m.current().envelope();
        Dsn dsn = env.dsn();
        return new Report(env.id(), env.sender(), env.arrival(), statuses, m.content(),
                dsn.ret() == Dsn.Ret.HDRS ? Report.Return.HDRS : Report.Return.FULL, dsn.envelopeId());
    }

    /**
     * Makes "these recipients are done" durable before anything else happens to the message: one
     * appended, fdatasync'd done record (Spool.markDone), not a rewrite of the file. A failure is
     * logged and tolerated: the recipients may then be sent to again after a crash (a duplicate),
     * never skipped.
     */
    private void recordDone(ActiveMessage m, Collection<MailAddress> done) {
        synchronized (m) {
            QueuedMessage q = m.current();
            List<MailAddress> recorded = done.stream().filter(q.envelope().recipients()::contains).toList();
            if (recorded.isEmpty()) {
                return;
            }
            try {
                spool.markDone(q, recorded);
                m.replace(spool.read(q.file()));
            } catch (IOException e) {
                log.warning("qmgr", q.envelope().id() + ": cannot record delivered recipients: " + e.getMessage());
            }
        }
    }
}

package dev.postern.bounce;

import dev.postern.cleanup.Cleanup;
import dev.postern.cleanup.CleanupTransaction;
import dev.postern.cleanup.Envelope;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.ReversePath;
import io.netty.buffer.Unpooled;

import java.time.Clock;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * bounce - non-delivery and delay notices (Postfix's bounce(8) in its notify role). A notice is an
 * RFC 3464 report ({@link DsnMessage}) submitted through {@link Cleanup} with the null sender, so
 * it is queued durably before the queue manager forgets the recipients it reports. Never bounces
 * a bounce: a failed message with the null sender goes to 2bounce_notice_recipient when
 * notify_classes has {@code 2bounce}, else it is dropped with a log line; postmaster notices are
 * sent from double_bounce_sender, and one of those that fails is discarded. The recipients'
 * NOTIFY sets (NEVER: nothing; SUCCESS: a success notice; DELAY: delay notices only to those who
 * asked), the report's RET and ENVID, and each recipient's ORCPT come from the DSN SMTP extension.
 */
public final class Bounce {
    private static final long COMMIT_TIMEOUT_SECONDS = 120;

    private final BounceSettings settings;
    private final Cleanup cleanup;
    private final MailLog log;
    private final Clock clock;
    private final DsnMessage writer;

    public Bounce(BounceSettings settings, Cleanup cleanup, MailLog log, Clock clock) {
        this.settings = settings;
        this.cleanup = cleanup;
        this.log = log;
        this.clock = clock;
        this.writer = new DsnMessage(settings, ZoneId.systemDefault());
    }

    /**
     * Reports permanently failed (or expired) recipients. True when the notice is queued, or is
     * deliberately not sent (NOTIFY, a bounce of a bounce): the caller may then forget those
     * recipients. False when it could not be queued: the caller keeps them and tries again later.
     */
    public boolean failed(Report report) {
        if (report.sender().isNull() || isDoubleBounceSender(report.sender())) {
            return undeliverableNotice(report);
        }
        List<RecipientStatus> wanted = report.recipients().stream()
                .filter(r -> r.wants(RecipientStatus.Notify.FAILURE)).toList();
        if (wanted.isEmpty()) {
            return true;
        }
        Report r = withRecipients(report, wanted);
        QueueId id = post(DsnMessage.Kind.FAILURE, r, ReversePath.NULL, r.sender().toString(), false, r.ret());
        if (id == null) {
            return false;
        }
        log.info("bounce", r.queueId() + ": sender non-delivery notification: " + id);
        if (settings.notifies("bounce")) {
            postmasterCopy(DsnMessage.Kind.FAILURE, r, settings.bounceNoticeRecipient(), "non-delivery");
        }
        return true;
    }

    /** Sends one delay notice (Action: delayed) to the sender; never for the null sender. Same contract. */
    public boolean delayed(Report report) {
        if (report.sender().isNull() || isDoubleBounceSender(report.sender())) {
            return true;
        }
        List<RecipientStatus> wanted = report.recipients().stream()
                .filter(r -> r.wants(RecipientStatus.Notify.DELAY)).toList();
        if (wanted.isEmpty()) {
            return true;
        }
        Report r = withRecipients(report, wanted);
        QueueId id = post(DsnMessage.Kind.DELAY, r, ReversePath.NULL, r.sender().toString(), false, Report.Return.HDRS);
        if (id == null) {
            return false;
        }
        log.info("bounce", r.queueId() + ": sender delay notification: " + id);
        if (settings.notifies("delay")) {
            postmasterCopy(DsnMessage.Kind.DELAY, r, settings.delayNoticeRecipient(), "delay");
        }
        return true;
    }

    /**
     * Sends a success notice (Postfix's "sender delivery status notification") to the sender for
     * the recipients that asked NOTIFY=SUCCESS and whose status carries an action ("delivered",
     * or "relayed" to a next hop that did not take the request over). Headers only, as Postfix.
     * Same contract; a notice that cannot be queued is logged, and the caller does not retry it
     * (the mail itself went out: it is never sent again for a notice).
     */
    public boolean delivered(Report report) {
        if (report.sender().isNull() || isDoubleBounceSender(report.sender())) {
            return true;
        }
        List<RecipientStatus> wanted = report.recipients().stream()
                .filter(r -> r.action() != null && r.notifyOn().contains(RecipientStatus.Notify.SUCCESS)).toList();
        if (wanted.isEmpty()) {
            return true;
        }
        Report r = withRecipients(report, wanted);
        QueueId id = post(DsnMessage.Kind.SUCCESS, r, ReversePath.NULL, r.sender().toString(), false, Report.Return.HDRS);
        if (id == null) {
            return false;
        }
        log.info("bounce", r.queueId() + ": sender delivery status notification: " + id);
        return true;
    }

    /** A bounce (null sender) or a postmaster notice could not be delivered: never bounced again. */
    private boolean undeliverableNotice(Report r) {
        if (isDoubleBounceSender(r.sender())) {
            log.info("bounce", r.queueId() + ": undeliverable postmaster notification discarded");
            return true;
        }
        if (!settings.notifies("2bounce")) {
            log.info("bounce", r.queueId() + ": undeliverable bounce discarded (notify_classes has no 2bounce)");
            return true;
        }
        String to = settings.qualify(settings.doubleBounceRecipient());
        QueueId id = post(DsnMessage.Kind.FAILURE, r, doubleBounceSender(), to, true, Report.Return.FULL);
        if (id == null) {
            return false;
        }
        log.info("bounce", r.queueId() + ": postmaster non-delivery notification: " + id);
        return true;
    }

    /** Postfix: headers only, from the double-bounce sender; its failure is only a warning. */
    private void postmasterCopy(DsnMessage.Kind kind, Report r, String recipient, String what) {
        QueueId id = post(kind, r, doubleBounceSender(), settings.qualify(recipient), true, Report.Return.HDRS);
        if (id == null) {
            log.warning("bounce", r.queueId() + ": postmaster notice failed while sending " + what + " notification");
        } else {
            log.info("bounce", r.queueId() + ": postmaster " + what + " notification: " + id);
        }
    }

    /** Writes and queues one notice; null (with a warning) when it could not be queued. */
    private QueueId post(DsnMessage.Kind kind, Report r, ReversePath from, String to, boolean postmasterCopy,
                         Report.Return ret) {
        CleanupTransaction t = null;
        try {
            MailAddress recipient = MailAddress.parse(to);
            byte[] message = writer.write(kind, r, to, postmasterCopy, ret, clock.instant());
            boolean eightBit = hasEightBit(message);
            boolean smtpUtf8 = !to.chars().allMatch(c -> c < 0x80);
            t = cleanup.open(new Envelope(from, "localhost[127.0.0.1]", settings.myhostname(), "local",
                    clock.instant(), smtpUtf8, eightBit, "bounce"));
            t.skipHeaderBodyChecks(); // Postfix's internal mail has no CLEANUP_FLAG_FILTER
            t.addRecipient(recipient);
            t.write(Unpooled.wrappedBuffer(message));
            t.commit().get(COMMIT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return t.queueId();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(t);
            log.warning("bounce", r.queueId() + ": notice to " + to + " not queued: interrupted");
            return null;
        } catch (Exception e) {
            abort(t);
            Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warning("bounce", r.queueId() + ": notice to " + to + " not queued: " + cause.getMessage());
            return null;
        }
    }

    private static void abort(CleanupTransaction t) {
        if (t != null) {
            t.abort();
        }
    }

    private ReversePath doubleBounceSender() {
        return ReversePath.of(MailAddress.parse(settings.qualify(settings.doubleBounceSender())));
    }

    private boolean isDoubleBounceSender(ReversePath sender) {
        return !sender.isNull() && sender.toString().equalsIgnoreCase(settings.qualify(settings.doubleBounceSender()));
    }

    private static Report withRecipients(Report r, List<RecipientStatus> rcpts) {
        return new Report(r.queueId(), r.sender(), r.arrival(), rcpts, r.original(), r.ret(), r.envelopeId());
    }

    private static boolean hasEightBit(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return true;
            }
        }
        return false;
    }
}

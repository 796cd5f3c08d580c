package dev.postern.pickup;

import dev.postern.bounce.Bounce;
import dev.postern.bounce.RecipientStatus;
import dev.postern.bounce.Report;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.MessageContent;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.RecipientResult;
import dev.postern.mail.ReversePath;
import dev.postern.mail.SmtpException;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Postfix's cleanup_bounce() for local submissions: cleanup refused a maildrop message for good
 * (over message_size_limit: 5.3.4 "message file too big"), so each recipient is logged
 * {@code status=bounced} (service cleanup, as Postfix) and the sender gets a non-delivery notice
 * through bounce, queued durably with the null sender and the original's headers (its whole
 * content, refused for its size, would make the notice too big as well). The caller removes the
 * maildrop file only once the notice is queued, so the message is never dropped in silence.
 */
final class SenderReturn {
    private final Bounce bounce;
    private final MailLog log;

    SenderReturn(Bounce bounce, MailLog log) {
        this.bounce = bounce;
        this.log = log;
    }

    /**
     * The ORCPT of a local recipient that sendmail was given in another form (Postfix's
     * cleanup_addr_recipient(): rfc822;<the completed address>, utf-8 for a non-ASCII one in a
     * SMTPUTF8 message).
     */
    static RecipientDsn orcptOfGiven(MailAddress completed, boolean utf8) {
        return new RecipientDsn(java.util.Set.of(), utf8 ? "utf-8" : "rfc822", completed.toString());
    }

    /**
     * True when the notice is queued (or deliberately not sent: a bounce of a bounce); false: retry
     * later. {@code originals}: what a recipient was given as (orig_to= and "expanded from", as
     * Postfix's cleanup_bounce.c reads the ORCP record).
     */
    boolean bounced(QueueId qid, ReversePath sender, Instant arrival, List<MailAddress> recipients,
                    Map<MailAddress, String> originals, byte[] content, SmtpException refusal) {
        String text = String.join(" ", refusal.reply().lines()).replaceFirst("^Error: ", "");
        String dsn = refusal.reply().enhanced() == null ? "5.0.0" : refusal.reply().enhanced();
        Instant now = Instant.now();
        List<RecipientStatus> statuses = new ArrayList<>();
        for (MailAddress r : recipients) {
            RecipientResult.Bounced b = new RecipientResult.Bounced(r, "none", dsn, text, Duration.ZERO, Duration.ZERO);
            String original = originals.get(r);
            log.delivery("cleanup", "cleanup", qid.toString(), b, original, arrival, now, Duration.between(arrival, now),
                    Duration.ZERO);
            // with the ORCPT pickup gives such a recipient
            statuses.add(original == null ? RecipientStatus.of(b)
                    : RecipientStatus.of(b, orcptOfGiven(r, !r.toString().chars().allMatch(c -> c < 0x80)), null, original));
        }
        MessageContent original = new MessageContent() {
            @Override
            public InputStream open() {
                return new ByteArrayInputStream(content);
            }

            @Override
            public long size() {
                return content.length;
            }
        };
        return bounce.failed(new Report(qid, sender, arrival, statuses, original, Report.Return.HDRS, null));
    }
}

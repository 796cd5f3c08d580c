package dev.postern.cleanup;

import dev.postern.checks.CheckActions;
import dev.postern.log.MailLog;
import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.Reply;
import dev.postern.maps.LookupException;

import java.util.function.BooleanSupplier;

/**
 * What a header_checks or body_checks action does to this message. Called on the I/O chain,
 * as the content passes; the access-table actions ran before the first byte. It exists so that
 * the checks' actions reach the same envelope as the access actions, and so that what they leave
 * for commit (a REJECT, a table that could not answer, a MIME error, an envelope changed after the
 * queue file was started) is kept in one place.
 */
final class ContentCheckTarget implements CheckActions.Target {
    private final QueueId id;
    private final Envelope given;
    private final MessageEnvelope envelope;
    private final HeaderStage headers;
    private final MailLog log;
    /** The queue file was started: its envelope is written already. */
    private final BooleanSupplier fileStarted;

    /** A REJECT from header or body checks (550 5.x.x, or 451 4.x.x: deferred). */
    private Reply reject;
    /** A check's table could not answer: 451 4.3.0, as Postfix's CLEANUP_STAT_WRITE. */
    private boolean lookupFailed;
    /** A multipart nested deeper than mime_nesting_limit, with header checks set: 550 5.6.0 unless refused otherwise. */
    private boolean mimeNesting;
    /** A body check's FILTER, REDIRECT or BCC after the envelope was handed to the writer. */
    private boolean envelopeChanged;

    ContentCheckTarget(QueueId id, Envelope given, MessageEnvelope envelope, HeaderStage headers, MailLog log,
                       BooleanSupplier fileStarted) {
        this.id = id;
        this.given = given;
        this.envelope = envelope;
        this.headers = headers;
        this.log = log;
        this.fileStarted = fileStarted;
    }

    /** The first REJECT, null when none. */
    Reply reject() {
        return reject;
    }

    boolean lookupFailed() {
        return lookupFailed;
    }

    boolean mimeNesting() {
        return mimeNesting;
    }

    /** The envelope changed after the queue file was started: it is written again at commit. */
    boolean envelopeChanged() {
        return envelopeChanged;
    }

    @Override
    public boolean heldOrDiscarded() {
        return envelope.held() || envelope.discarded();
    }

    @Override
    public void hold() {
        envelope.hold();
    }

    @Override
    public void discard() {
        envelope.discard();
    }

    @Override
    public void filter(String transportAndNexthop) {
        envelope.filter(transportAndNexthop);
        envelopeChanged |= fileStarted.getAsBoolean();
    }

    @Override
    public void redirect(MailAddress to) {
        envelope.redirect(to);
        envelopeChanged |= fileStarted.getAsBoolean();
    }

    @Override
    public void bcc(MailAddress to) {
        envelope.addBcc(to);
        envelopeChanged |= fileStarted.getAsBoolean();
    }

    @Override
    public void reject(Reply reply) {
        if (reject == null) {
            reject = reply;
        }
    }

    @Override
    public void lookupFailed(String parameter, LookupException cause) {
        log.warning("cleanup", id + ": " + parameter + " map lookup problem -- message not accepted, try again later");
        lookupFailed = true;
    }

    @Override
    public void log(String action, String where, String content, String text) {
        boolean local = given.client().isEmpty(); // pickup: Postfix's origin "local", no proto or HELO
        MailAddress last = envelope.lastRecipient();
        // proto= as smtpd's other lines say it (ESMTP, SMTP): Postfix's state->protocol, not
        // the Received header's ESMTPS/ESMTPSA
        log.contentAction(id.toString(), action, where, content, origin(),
                given.sender().toString(), last == null ? null : last.toString(),
                local ? null : given.protocol().replaceFirst("S?A?$", ""), given.helo().isEmpty() ? null : given.helo(),
                text);
    }

    @Override
    public void warn(String text) {
        log.warning("cleanup", text);
    }

    @Override
    public void messageIdSeen(String value) {
        headers.messageIdSeen(value, refused());
    }

    @Override
    public void resentMessageIdSeen(String value) {
        headers.resentMessageIdSeen(value, refused());
    }

    @Override
    public void primaryHeaderEnded(boolean resent) {
        headers.primaryHeaderEnded(resent, refused());
    }

    /** A REJECT or DISCARD came first: Postfix logs no message-id= then. */
    private boolean refused() {
        return envelope.discarded() || reject != null;
    }

    @Override
    public void mimeNestingExceeded(String header) {
        mimeNesting = true;
        MailAddress last = envelope.lastRecipient();
        log.mimeError(id.toString(), "MIME nesting exceeds safety limit", header, origin(), given.sender().toString(),
                last == null ? "unknown" : last.toString());
    }

    /** Postfix's log origin: the client's name[addr], "local" for sendmail's mail. */
    private String origin() {
        return given.client().isEmpty() ? "local" : given.client();
    }
}

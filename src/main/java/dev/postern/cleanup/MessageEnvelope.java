package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.QueueId;
import dev.postern.mail.RecipientDsn;
import dev.postern.queue.QueueEnvelope;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One message's envelope as it is collected: the recipients with their DSN and originals, and the
 * actions on the whole message (access(5)'s before the content, header and body checks' as it
 * passes). It exists so that the queue file's envelope ({@link #queueEnvelope()}: BCC, address
 * rewriting, REDIRECT, originals, in Postfix's order) is made in one place, however often an
 * action changes it. Used by the caller before the first write, then on cleanup's I/O chain only.
 */
final class MessageEnvelope {
    private final QueueId id;
    private final Envelope envelope;
    private final MessageRewrite rewrite;
    private final boolean enableOriginalRecipient;
    private final List<MailAddress> recipients = new ArrayList<>();
    private final Map<MailAddress, RecipientDsn> recipientDsn = new HashMap<>();
    /**
     * Originals given with the recipients (a requeued message's, a local submission's address as
     * sendmail was given it), by the recipient as added (its string form).
     */
    private final Map<String, String> givenOriginals = new HashMap<>();
    // access(5) actions, set before the content (see CleanupTransaction), and header and body checks'
    private boolean hold;
    private boolean discard;
    private MailAddress redirect;
    private List<MailAddress> bcc; // null: none
    private String filter; // null: none

    MessageEnvelope(QueueId id, Envelope envelope, MessageRewrite rewrite, boolean enableOriginalRecipient) {
        this.id = id;
        this.envelope = envelope;
        this.rewrite = rewrite;
        this.enableOriginalRecipient = enableOriginalRecipient;
    }

    void addRecipient(MailAddress recipient) {
        recipients.add(recipient);
    }

    void addRecipient(MailAddress recipient, RecipientDsn dsn) {
        recipients.add(recipient);
        if (dsn != null && !dsn.isNone()) {
            recipientDsn.put(recipient, dsn);
        }
    }

    void addRecipient(MailAddress recipient, RecipientDsn dsn, String original) {
        addRecipient(recipient, dsn);
        if (original != null && !original.equals(recipient.toString())) {
            givenOriginals.put(recipient.toString(), original);
        }
    }

    /** The recipient added last (what Postfix's cleanup logs as to=), null when none. */
    MailAddress lastRecipient() {
        return recipients.isEmpty() ? null : recipients.get(recipients.size() - 1);
    }

    void hold() {
        hold = true;
    }

    boolean held() {
        return hold;
    }

    void discard() {
        discard = true;
    }

    boolean discarded() {
        return discard;
    }

    void redirect(MailAddress to) {
        redirect = to;
    }

    void addBcc(MailAddress to) {
        if (bcc == null) {
            bcc = new ArrayList<>(1);
        }
        bcc.add(to);
    }

    void filter(String transportAndNexthop) {
        // One header line in the queue file, whatever the caller was handed (callers refuse such values first).
        filter = transportAndNexthop.isBlank() ? null : transportAndNexthop.replace('\r', ' ').replace('\n', ' ');
    }

    /** Rewrites the sender and the recipients now: at the first content, as Postfix's cleanup reads its records. */
    void rewriteNow() {
        rewrite.envelopeNow(recipients, recipientDsn);
    }

    /** The envelope as the actions so far make it. */
    QueueEnvelope queueEnvelope() {
        List<MailAddress> rcpts = recipients;
        Map<MailAddress, RecipientDsn> dsn = recipientDsn;
        if (bcc != null) { // BCC recipients are mapped like the others (Postfix's cleanup_addr_bcc())
            RedirectAndBcc.Recipients r = RedirectAndBcc.apply(rcpts, dsn, null, bcc, envelope.smtpUtf8());
            rcpts = r.list();
            dsn = r.dsn();
        }
        EnvelopeRewrite.Recipients rewritten = rewrite.recipients(rcpts, dsn);
        rcpts = rewritten.list();
        dsn = rewritten.dsn();
        Map<MailAddress, String> originals = withGivenOriginals(rewritten.originals(), rcpts);
        if (redirect != null) { // the REDIRECT address is not mapped: Postfix's qmgr puts it in as it is
            MailAddress first = rcpts.stream().min(RedirectAndBcc.QMGR_ORDER).orElseThrow();
            String original = originals.getOrDefault(first, first.toString()); // it keeps the first one's orig_rcpt
            originals = original.equalsIgnoreCase(redirect.toString()) ? Map.of() : Map.of(redirect, original);
            RedirectAndBcc.Recipients r = RedirectAndBcc.apply(rcpts, dsn, redirect, List.of(), envelope.smtpUtf8());
            rcpts = r.list();
            dsn = r.dsn();
        }
        return new QueueEnvelope(id, envelope.arrival(), rewrite.sender(), envelope.client(), envelope.helo(),
                envelope.protocol(), envelope.smtpUtf8(), envelope.eightBitMime(), rcpts, envelope.dsn(), dsn,
                redirect == null ? filter : null, // REDIRECT overrides FILTER (Postfix qmgr_message_resolve())
                enableOriginalRecipient ? originals : Map.of(), withGivenOriginals(rewritten.expanded()),
                !rewrite.headerContextLocal());
    }

    /**
     * A recipient added with its original (requeued, or a local submission's address as sendmail
     * was given it) keeps it (Postfix's pickup passes the ORCP record on, and cleanup keeps it for
     * every address the recipient becomes).
     */
    private Map<MailAddress, String> withGivenOriginals(Map<MailAddress, String> rewritten, List<MailAddress> rcpts) {
        if (givenOriginals.isEmpty()) {
            return rewritten;
        }
        Map<MailAddress, String> out = new HashMap<>();
        for (MailAddress r : rcpts) {
            String first = givenOriginal(rewritten.getOrDefault(r, r.toString())); // the recipient as added
            if (!first.equalsIgnoreCase(r.toString())) {
                out.put(r, first);
            }
        }
        return out;
    }

    /** The "expanded" notices name the alias as it was given too ("expanded from <root>"). */
    private List<QueueEnvelope.Expanded> withGivenOriginals(List<QueueEnvelope.Expanded> expanded) {
        if (givenOriginals.isEmpty() || expanded.isEmpty()) {
            return expanded;
        }
        return expanded.stream().map(e -> new QueueEnvelope.Expanded(e.address(), givenOriginal(e.original()), e.dsn())).toList();
    }

    /** What the recipient added as {@code asAdded} was given as, when the caller said; else itself. */
    private String givenOriginal(String asAdded) {
        return givenOriginals.getOrDefault(asAdded, asAdded);
    }
}

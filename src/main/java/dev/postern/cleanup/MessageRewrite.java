package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.ReversePath;
import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteException;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One message's address rewriting, as cleanup runs it: the envelope ({@link EnvelopeRewrite}:
 * canonical maps, masquerading, virtual aliases; none with receive_override_options =
 * no_address_mappings) and the primary header's address headers ({@link HeaderRewrite}) in
 * Postfix's header rewrite context: "local" by default (local submissions, notices, smtpd clients
 * in local_header_rewrite_clients), "remote" for other smtpd clients, where headers are rewritten
 * only with remote_header_rewrite_domain. Keeps the first failure for commit. Used on cleanup's
 * I/O chain only.
 */
final class MessageRewrite {
    private final AddressRewriting rewriting;
    private final Envelope envelope;
    private final Consumer<String> warn;
    private boolean skipMappings;
    /** Postfix's hdr_rewrite_context "remote" (false: "local"). */
    private boolean remoteHeaders;
    /** A header address could not be rewritten (a table failed): 451, as Postfix's CLEANUP_STAT_WRITE. */
    private boolean headersFailed;
    /** The envelope's rewriting, made when first needed (null: none applies). */
    private EnvelopeRewrite envelopeRewrite;

    /** The sender as cleanup takes it in: MAILER-DAEMON@$myorigin made null. */
    private final ReversePath received;

    /**
     * @param myorigin the domain of {@code MAILER-DAEMON@$myorigin}, a sender cleanup turns into the
     *                 null sender (cleanup_addr_sender(): "to handle bounced mail traffic more
     *                 robustly"), before any table and whatever receive_override_options say
     * @param warn a warning, without the queue ID
     */
    MessageRewrite(AddressRewriting rewriting, Envelope envelope, String myorigin, Consumer<String> warn) {
        this.rewriting = rewriting;
        this.envelope = envelope;
        this.warn = warn;
        ReversePath s = envelope.sender();
        this.received = !s.isNull() && s.toString().equalsIgnoreCase("MAILER-DAEMON@" + myorigin) ? ReversePath.NULL : s;
    }

    /** receive_override_options = no_address_mappings: no tables, the header context still applies. */
    void skipMappings() {
        skipMappings = true;
    }

    /** The client is not in local_header_rewrite_clients. */
    void remoteHeaders() {
        remoteHeaders = true;
    }

    private EnvelopeRewrite envelopeRewrite() {
        if (envelopeRewrite == null && !rewriting.isEmpty()) {
            envelopeRewrite = new EnvelopeRewrite(rewriting, warn, skipMappings); // the local context stays, as Postfix's
        }
        return envelopeRewrite;
    }

    /**
     * Rewrites the sender and the recipients now (the results are kept for the queue file), so
     * their warnings come before the message-id line, in Postfix's order.
     */
    void envelopeNow(List<MailAddress> recipients, Map<MailAddress, RecipientDsn> dsn) {
        EnvelopeRewrite rw = envelopeRewrite();
        if (rw != null) {
            rw.sender(received);
            rw.recipients(recipients, dsn, envelope.smtpUtf8(), fromSmtpd());
        }
    }

    /** The envelope sender after canonical mapping and masquerading. */
    ReversePath sender() {
        EnvelopeRewrite rw = envelopeRewrite();
        return rw == null ? received : rw.sender(received);
    }

    /** The recipients rewritten and expanded (as given when nothing applies). */
    EnvelopeRewrite.Recipients recipients(List<MailAddress> recipients, Map<MailAddress, RecipientDsn> dsn) {
        EnvelopeRewrite rw = envelopeRewrite();
        return rw == null ? new EnvelopeRewrite.Recipients(recipients, dsn)
                : rw.recipients(recipients, dsn, envelope.smtpUtf8(), fromSmtpd());
    }

    /** Not sendmail's mail or a notice (their protocol is "local"). */
    private boolean fromSmtpd() {
        return !envelope.protocol().equals("local");
    }

    /** Postfix's hdr_rewrite_context is "local" (false: "remote"), whatever the tables. */
    boolean headerContextLocal() {
        return !remoteHeaders;
    }

    /** Postfix's hdr_rewrite_context is set: headers are rewritten, a missing From: added. */
    boolean headerContext() {
        return !remoteHeaders || rewriting.rewritesRemoteHeaders();
    }

    /** The header block with its address headers rewritten (as it is outside a rewrite context). */
    byte[] headers(byte[] block) {
        if (!headerContext()) {
            return block;
        }
        try {
            return HeaderRewrite.apply(block, rewriting, remoteHeaders, !skipMappings, warn);
        } catch (RewriteException e) {
            warn.accept(e.warning());
            headersFailed = true;
            return block;
        }
    }

    /** The envelope could not be rewritten: Postfix reads no further (no message-id is logged). */
    boolean envelopeFailed() {
        return envelopeRewrite != null && envelopeRewrite.failure() != null;
    }

    /** The envelope passed a virtual alias limit: 451 4.6.0 Alias expansion error. */
    boolean aliasExpansionFailed() {
        return envelopeFailed() && envelopeRewrite.failure().aliasExpansion();
    }

    boolean headersFailed() {
        return headersFailed;
    }
}

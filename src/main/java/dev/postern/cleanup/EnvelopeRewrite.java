package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.mail.ReversePath;
import dev.postern.queue.QueueEnvelope;
import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A message's envelope through address rewriting (Postfix's cleanup_addr_sender(),
 * cleanup_addr_recipient() and cleanup_out_recipient()): the sender and each recipient through
 * canonical mapping and masquerading, then each recipient through virtual aliasing. A changed
 * recipient keeps where it came from as its ORCPT (Postfix's {@code rfc822;address} DSN original
 * recipient) unless the client gave one; duplicates are kept once. Runs on cleanup's I/O
 * chain (tables may read files). The first failure is kept for commit, which then answers 451.
 */
final class EnvelopeRewrite {
    private final AddressRewriting rewriting;
    private final Consumer<String> warn;
    /** Each original recipient's result, so a rewritten envelope (a late REDIRECT, BCC) asks no table twice. */
    private final Map<MailAddress, List<MailAddress>> done = new HashMap<>();
    private final Map<MailAddress, String> canonicalOf = new HashMap<>();
    /**
     * Postern's own cap on a message's recipients after expansion (Postfix streams them to its
     * queue file; Postern holds them in memory and in the queue file's header): 1000 recipients
     * times virtual_alias_expansion_limit could otherwise be a million.
     */
    static final int MAX_RECIPIENTS = 10_000;
    private int expanded;
    private ReversePath sender;
    private RewriteException failure;

    /**
     * receive_override_options = no_address_mappings: trivial-rewrite's local context only
     * (Postfix's cleanup_rewrite_internal() runs whatever the flags say), no table, no masquerading,
     * no virtual aliasing.
     */
    private final boolean localOnly;

    /** @param warn Postfix's warnings, prefixed with the queue ID by the caller */
    EnvelopeRewrite(AddressRewriting rewriting, Consumer<String> warn) {
        this(rewriting, warn, false);
    }

    EnvelopeRewrite(AddressRewriting rewriting, Consumer<String> warn, boolean localOnly) {
        this.rewriting = rewriting;
        this.warn = warn;
        this.localOnly = localOnly;
    }

    /** The first problem: a table that could not answer, a limit passed; null when none. */
    RewriteException failure() {
        return failure;
    }

    /** The sender, rewritten once. */
    ReversePath sender(ReversePath original) {
        if (sender == null) {
            sender = original;
            if (!original.isNull()) {
                String s = original.toString();
                try {
                    String r = localOnly ? rewriting.envelopeLocal(s) : rewriting.envelopeSender(s, warn);
                    if (!r.equals(s)) {
                        sender = ReversePath.of(parse("sender", s, r));
                    }
                } catch (RewriteException e) {
                    fail(e);
                } catch (IllegalArgumentException e) {
                    // kept as received; the failure says why
                }
            }
        }
        return sender;
    }

    /**
     * The envelope's recipients after rewriting: {@code originals} maps a recipient that rewriting
     * changed to the address it came in as (Postfix's orig_rcpt: logged as {@code orig_to=}, the
     * first one kept when two reach the same address); {@code expanded} are the NOTIFY=SUCCESS
     * recipients that virtual aliasing expanded, owed an "expanded" notice.
     */
    record Recipients(List<MailAddress> list, Map<MailAddress, RecipientDsn> dsn,
                      Map<MailAddress, String> originals, List<QueueEnvelope.Expanded> expanded) {
        Recipients(List<MailAddress> list, Map<MailAddress, RecipientDsn> dsn) {
            this(list, dsn, Map.of(), List.of());
        }
    }

    /**
     * Every recipient rewritten and expanded, in order, each address once. A recipient the client
     * gave no ORCPT for gets one when its address changed: the address as the client sent it
     * ({@code fromSmtpd}: Postfix's smtpd passes RCPT TO's address as the original recipient), else
     * the address after canonical mapping (Postfix's cleanup_addr_recipient() for sendmail's mail).
     */
    Recipients recipients(List<MailAddress> recipients, Map<MailAddress, RecipientDsn> dsn, boolean smtpUtf8,
                          boolean fromSmtpd) {
        Map<MailAddress, RecipientDsn> out = new LinkedHashMap<>();
        Map<MailAddress, String> originals = new HashMap<>();
        Map<MailAddress, QueueEnvelope.Expanded> expandedAliases = new LinkedHashMap<>();
        for (MailAddress r : recipients) {
            RecipientDsn d = dsn.getOrDefault(r, RecipientDsn.NONE);
            List<MailAddress> to = done.get(r);
            if (to == null) {
                to = expand(r);
                done.put(r, to);
                expanded += to.size();
                if (expanded > MAX_RECIPIENTS) { // what one message may hold in memory and in its queue file
                    fail(new RewriteException("unreasonable number of recipients after virtual alias expansion (more than "
                            + MAX_RECIPIENTS + ") -- message not accepted, try again later", true));
                    return new Recipients(recipients, dsn);
                }
            }
            // only virtual aliasing hides members: a canonical mapping alone keeps SUCCESS (cleanup_out_recipient())
            if (!(to.size() == 1 && to.get(0).toString().equals(canonicalOf(r))) && d.wants(RecipientDsn.Notify.SUCCESS)) {
                expandedAliases.computeIfAbsent(r, k -> expanded(k, dsn.getOrDefault(k, RecipientDsn.NONE), smtpUtf8, fromSmtpd));
                d = withoutSuccess(d);
            }
            String original = to.size() == 1 && to.get(0).equals(r) ? null : fromSmtpd ? r.toString() : canonicalOf(r);
            for (MailAddress a : to) {
                RecipientDsn ad = d;
                if (d.orcptType() == null && original != null && !a.toString().equals(original)) {
                    ad = new RecipientDsn(d.notifyOn(), orcptType(original, smtpUtf8), original);
                }
                if (out.putIfAbsent(a, ad) == null && !a.toString().equalsIgnoreCase(r.toString())) {
                    originals.put(a, r.toString());
                }
            }
        }
        Map<MailAddress, RecipientDsn> dsns = new HashMap<>();
        out.forEach((a, d) -> {
            if (!d.isNone()) {
                dsns.put(a, d);
            }
        });
        return new Recipients(new ArrayList<>(out.keySet()), dsns, originals, List.copyOf(expandedAliases.values()));
    }

    /**
     * The "expanded" notice's entry for an alias (Postfix's cleanup_trace_append()): the address
     * after canonical mapping, the original as it came in, its NOTIFY, and its ORCPT as given, or
     * as Postfix's smtpd makes one for mail that came over SMTP (smtpd.c: {@code rfc822;} the RCPT
     * TO address).
     */
    private QueueEnvelope.Expanded expanded(MailAddress r, RecipientDsn d, boolean smtpUtf8, boolean fromSmtpd) {
        MailAddress alias;
        try {
            alias = MailAddress.parse(canonicalOf(r));
        } catch (IllegalArgumentException e) {
            alias = r;
        }
        if (d.orcptType() == null && fromSmtpd) {
            d = new RecipientDsn(d.notifyOn(), orcptType(r.toString(), smtpUtf8), r.toString());
        }
        return new QueueEnvelope.Expanded(alias, r.toString(), d);
    }

    private static String orcptType(String address, boolean smtpUtf8) {
        return smtpUtf8 && !address.chars().allMatch(c -> c < 0x80) ? "utf-8" : "rfc822";
    }

    private String canonicalOf(MailAddress r) {
        return canonicalOf.getOrDefault(r, r.toString());
    }

    /**
     * An alias's members do not tell the sender who they are: Postfix's cleanup_out_recipient()
     * takes SUCCESS out of their NOTIFY (NEVER when it was all), and reports the alias itself as
     * "expanded" (see {@link #expanded}).
     */
    private static RecipientDsn withoutSuccess(RecipientDsn d) {
        java.util.Set<RecipientDsn.Notify> n = java.util.EnumSet.noneOf(RecipientDsn.Notify.class);
        n.addAll(d.notifyOn());
        n.remove(RecipientDsn.Notify.SUCCESS);
        return new RecipientDsn(n.isEmpty() ? java.util.Set.of(RecipientDsn.Notify.NEVER) : n, d.orcptType(), d.orcptAddress());
    }

    private List<MailAddress> expand(MailAddress r) {
        String original = r.toString();
        try {
            String canonical = localOnly ? rewriting.envelopeLocal(original) : rewriting.envelopeRecipient(original, warn);
            canonicalOf.put(r, canonical);
            List<MailAddress> out = new ArrayList<>();
            for (String a : localOnly ? List.of(canonical) : rewriting.virtualAlias(canonical)) {
                out.add(a.equals(original) ? r : parse("recipient", original, a));
            }
            return out;
        } catch (RewriteException e) {
            fail(e);
        } catch (IllegalArgumentException e) {
            // the failure says why; the recipient stays as received until commit refuses the message
        }
        return List.of(r);
    }

    /** A rewritten address must be one Postern's queue and SMTP client can carry. */
    private MailAddress parse(String what, String original, String result) {
        try {
            return MailAddress.parse(result);
        } catch (IllegalArgumentException e) {
            fail(new RewriteException("address rewriting made " + what + " " + original + " into \"" + result
                    + "\", which Postern cannot deliver to (" + e.getMessage() + ") -- message not accepted, try again later",
                    false));
            throw e;
        }
    }

    private void fail(RewriteException e) {
        if (failure == null) {
            failure = e;
            warn.accept(e.warning());
        }
    }
}

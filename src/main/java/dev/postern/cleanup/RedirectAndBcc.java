package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * access(5) REDIRECT and BCC applied to a message's recipients before its queue file is written.
 * Postfix writes them as records (smtpd.c: REC_TYPE_RDR, and REC_TYPE_RCPT with
 * {@code dsn_notify=NEVER} per BCC) and its queue manager applies the redirect when it reads the
 * file (qmgr_message.c qmgr_message_resolve()); Postern's queue manager knows no such record, so
 * the queue file holds the outcome: what Postfix's qmgr would deliver to.
 */
final class RedirectAndBcc {
    private RedirectAndBcc() {}

    record Recipients(List<MailAddress> list, Map<MailAddress, RecipientDsn> dsn) {
    }

    private static final RecipientDsn NEVER = new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER), null, null);

    /** qmgr_message_sort_compare() before any queue is assigned: the domain (with its '@', any case), then the address. */
    static final Comparator<MailAddress> QMGR_ORDER = Comparator
            .comparing((MailAddress a) -> "@" + a.domain().toLowerCase(Locale.ROOT))
            .thenComparing(MailAddress::toString);

    /**
     * BCC recipients are added with NOTIFY=NEVER, each once, and not when already a recipient
     * (Postern keeps one entry per address; Postfix's duplicate filter would keep both, the DSN
     * parameters differing). With a redirect, every recipient (the BCC ones too) is replaced by it,
     * "only once (per entire message)": the first in qmgr's order lends it its NOTIFY and its ORCPT,
     * else {@code rfc822;} or {@code utf-8;} its address (Postfix's orig_rcpt, which its smtp
     * client sends as ORCPT and its bounces show as Original-Recipient).
     */
    static Recipients apply(List<MailAddress> recipients, Map<MailAddress, RecipientDsn> dsn, MailAddress redirect,
                            List<MailAddress> bcc, boolean smtpUtf8) {
        List<MailAddress> all = new ArrayList<>(recipients);
        Map<MailAddress, RecipientDsn> dsns = new HashMap<>(dsn);
        for (MailAddress b : bcc) {
            if (!all.contains(b)) {
                all.add(b);
                dsns.put(b, NEVER);
            }
        }
        if (redirect == null) {
            return new Recipients(all, dsns);
        }
        MailAddress first = all.stream().min(QMGR_ORDER).orElseThrow();
        RecipientDsn d = dsns.getOrDefault(first, RecipientDsn.NONE);
        if (d.orcptType() == null) {
            String original = first.toString();
            String type = smtpUtf8 && !original.chars().allMatch(c -> c < 0x80) ? "utf-8" : "rfc822";
            d = new RecipientDsn(d.notifyOn(), type, original);
        }
        return new Recipients(List.of(redirect), Map.of(redirect, d));
    }
}

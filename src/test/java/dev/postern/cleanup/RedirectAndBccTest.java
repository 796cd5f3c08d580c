package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * REDIRECT and BCC on a message's recipients, as Postfix's qmgr_message_resolve() (redirect: the
 * first recipient of qmgr_message_sort_compare()'s order keeps its DSN and original address) and
 * smtpd.c (BCC: NOTIFY=NEVER) leave them.
 */
class RedirectAndBccTest {
    private static MailAddress a(String s) {
        return MailAddress.parse(s);
    }

    private static final RecipientDsn NEVER = new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER), null, null);

    @Test
    void qmgrOrderIsDomainThenAddress() {
        List<MailAddress> sorted = List.of(a("z@B.example"), a("a@c.example"), a("b@b.example"), a("a@a.example"))
                .stream().sorted(RedirectAndBcc.QMGR_ORDER).toList();
        assertEquals(List.of(a("a@a.example"), a("b@b.example"), a("z@B.example"), a("a@c.example")), sorted);
    }

    @Test
    void bccIsAddedOnceWithNotifyNever() {
        RedirectAndBcc.Recipients r = RedirectAndBcc.apply(List.of(a("x@d.example")), Map.of(), null,
                List.of(a("bcc@d.example"), a("bcc@d.example"), a("x@d.example")), false);
        assertEquals(List.of(a("x@d.example"), a("bcc@d.example")), r.list());
        assertEquals(Map.of(a("bcc@d.example"), NEVER), r.dsn());
    }

    @Test
    void redirectKeepsTheFirstRecipientsDsnAndOriginal() {
        RecipientDsn success = new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), null, null);
        RedirectAndBcc.Recipients r = RedirectAndBcc.apply(List.of(a("z@b.example"), a("y@a.example")),
                Map.of(a("y@a.example"), success), a("to@r.example"), List.of(), false);
        assertEquals(List.of(a("to@r.example")), r.list());
        assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), "rfc822", "y@a.example"),
                r.dsn().get(a("to@r.example")));
        RecipientDsn orcpt = new RecipientDsn(Set.of(), "rfc822", "given@else.example");
        r = RedirectAndBcc.apply(List.of(a("y@a.example")), Map.of(a("y@a.example"), orcpt), a("to@r.example"),
                List.of(a("b@a.example")), false);
        // the BCC sorts first here: its NOTIFY=NEVER and its own address go to the redirect, as in Postfix
        assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER), "rfc822", "b@a.example"),
                r.dsn().get(a("to@r.example")));
        r = RedirectAndBcc.apply(List.of(a("y@a.example")), Map.of(a("y@a.example"), orcpt), a("to@r.example"),
                List.of(), false);
        assertEquals(orcpt, r.dsn().get(a("to@r.example")));
    }

    @Test
    void utf8OriginalWhenTheSenderAskedSmtputf8() {
        RedirectAndBcc.Recipients r = RedirectAndBcc.apply(List.of(a("j\u00f6rg@a.example")), Map.of(), a("to@r.example"),
                List.of(), true);
        assertEquals(new RecipientDsn(Set.of(), "utf-8", "j\u00f6rg@a.example"), r.dsn().get(a("to@r.example")));
    }
}

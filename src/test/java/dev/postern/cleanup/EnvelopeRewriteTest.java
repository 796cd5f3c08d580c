package dev.postern.cleanup;

import dev.postern.mail.MailAddress;
import dev.postern.mail.RecipientDsn;
import dev.postern.rewrite.AddressRewriting;
import dev.postern.rewrite.RewriteSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The envelope through virtual_alias_maps: ORCPT by source, NOTIFY=SUCCESS of members, the per-message cap. */
class EnvelopeRewriteTest {
    @TempDir
    Path dir;

    private EnvelopeRewrite rewrite(String virtualLines, List<String> warnings) throws Exception {
        return rewrite(virtualLines, List.of(), warnings);
    }

    private EnvelopeRewrite rewrite(String virtualLines, List<String> recipientCanonical, List<String> warnings)
            throws Exception {
        Path v = dir.resolve("virtual");
        Files.writeString(v, virtualLines);
        RewriteSettings n = RewriteSettings.NONE;
        RewriteSettings s = new RewriteSettings(n.canonicalMaps(), n.canonicalClasses(), n.senderCanonicalMaps(),
                n.senderCanonicalClasses(), recipientCanonical,
                Set.of(RewriteSettings.AddressClass.ENVELOPE_RECIPIENT), n.masqueradeDomains(),
                n.masqueradeClasses(), n.masqueradeExceptions(), List.of("texthash:" + v), 1000, 1000, 1000,
                Set.of("canonical", "virtual"), "+", "desk.example", List.of("desk.example"), true, "");
        return new EnvelopeRewrite(AddressRewriting.open(s), warnings::add);
    }

    @Test
    void aCanonicalMappingAloneKeepsSuccessNotices() throws Exception {
        EnvelopeRewrite r = rewrite("other@desk.example  x@corp.example\n",
                List.of("inline:{ old@desk.example = new@corp.example }"), new ArrayList<>());
        RecipientDsn success = new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), null, null);
        EnvelopeRewrite.Recipients out = r.recipients(List.of(a("old@desk.example")), Map.of(a("old@desk.example"), success),
                false, true);
        assertEquals(List.of(a("new@corp.example")), out.list());
        assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), "rfc822", "old@desk.example"),
                out.dsn().get(a("new@corp.example")), "not an alias: the sender still hears of the delivery");
    }

    private static MailAddress a(String s) {
        return MailAddress.parse(s);
    }

    @Test
    void anAliasMemberGetsTheOriginalAsOrcptAndNoSuccessNotice() throws Exception {
        EnvelopeRewrite r = rewrite("Root@desk.example  me@corp.example\nteam@desk.example  ann@corp.example, bob@corp.example\n",
                new ArrayList<>());
        RecipientDsn success = new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), null, null);
        EnvelopeRewrite.Recipients out = r.recipients(List.of(a("ROOT@desk.example"), a("team@desk.example"), a("x@far.example")),
                Map.of(a("team@desk.example"), success), false, true);
        assertEquals(List.of(a("me@corp.example"), a("ann@corp.example"), a("bob@corp.example"), a("x@far.example")), out.list());
        // from smtpd: RCPT TO's address as the client wrote it
        assertEquals(new RecipientDsn(Set.of(), "rfc822", "ROOT@desk.example"), out.dsn().get(a("me@corp.example")));
        assertEquals(new RecipientDsn(Set.of(RecipientDsn.Notify.NEVER), "rfc822", "team@desk.example"),
                out.dsn().get(a("ann@corp.example")));
        assertNull(out.dsn().get(a("x@far.example")), "an address nothing changed gets no ORCPT");
        assertNull(r.failure());
        // Postfix's orig_rcpt: each changed recipient keeps the address it came in as
        assertEquals(Map.of(a("me@corp.example"), "ROOT@desk.example", a("ann@corp.example"), "team@desk.example",
                a("bob@corp.example"), "team@desk.example"), out.originals());
        // the NOTIFY=SUCCESS alias is owed an "expanded" notice, with the ORCPT smtpd would have made
        assertEquals(List.of(new dev.postern.queue.QueueEnvelope.Expanded(a("team@desk.example"), "team@desk.example",
                new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), "rfc822", "team@desk.example"))), out.expanded());
    }

    @Test
    void aRecipientReachedTwiceKeepsTheFirstOriginalAndCanonicalMappingAloneOwesNoNotice() throws Exception {
        EnvelopeRewrite r = rewrite("a@desk.example  me@corp.example\nb@desk.example  me@corp.example\n",
                List.of("inline:{ old@desk.example = new@corp.example }"), new ArrayList<>());
        RecipientDsn success = new RecipientDsn(Set.of(RecipientDsn.Notify.SUCCESS), null, null);
        EnvelopeRewrite.Recipients out = r.recipients(List.of(a("a@desk.example"), a("b@desk.example"), a("old@desk.example")),
                Map.of(a("old@desk.example"), success), false, false);
        assertEquals(List.of(a("me@corp.example"), a("new@corp.example")), out.list());
        assertEquals(Map.of(a("me@corp.example"), "a@desk.example", a("new@corp.example"), "old@desk.example"),
                out.originals());
        assertEquals(List.of(), out.expanded(), "only virtual aliasing owes an expanded notice");
    }

    @Test
    void aMessageMayNotExpandPastTenThousandRecipients() throws Exception {
        StringBuilder members = new StringBuilder("list@desk.example ");
        for (int i = 0; i < 1000; i++) {
            members.append(i == 0 ? "" : ", ").append("m").append(i).append("@corp.example");
        }
        List<String> warnings = new ArrayList<>();
        EnvelopeRewrite r = rewrite(members + "\n", warnings);
        List<MailAddress> rcpts = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            rcpts.add(a("list+" + i + "@desk.example")); // the extension makes each member distinct
        }
        r.recipients(rcpts, Map.of(), false, true);
        assertTrue(r.failure() != null && r.failure().aliasExpansion(), "refused with 451 4.6.0");
        assertEquals(List.of("unreasonable number of recipients after virtual alias expansion (more than 10000)"
                + " -- message not accepted, try again later"), warnings);
        EnvelopeRewrite ten = rewrite(members + "\n", new ArrayList<>());
        assertEquals(10_000, ten.recipients(rcpts.subList(0, 10), Map.of(), false, true).list().size());
        assertNull(ten.failure());
    }
}

package dev.postern.smtpd;

import dev.postern.mail.MailAddress;
import dev.postern.tls.PeerCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access(5) actions that act on the whole message, as Postfix's smtpd_check.c
 * check_table_result() takes them (postfix-3.12-20260821): what each logs through log_whatsup(),
 * what it leaves for the message, and what it does to the rest of the checks (DISCARD: nothing more
 * is checked; HOLD: logged once; REDIRECT and FILTER: the last wins; BCC: all; HANGUP: no reply).
 */
class MessageActionsTest {
    private static final String SENDER = "sender@origin.example";

    @TempDir
    Path dir;

    /** The session's side, recording what the restrictions asked of it. */
    static final class Recorder implements MessageActions.Transaction {
        MessageActions actions;
        final List<String> log = new ArrayList<>();

        @Override
        public MessageActions actions() {
            if (actions == null) {
                actions = new MessageActions();
            }
            return actions;
        }

        @Override
        public boolean discarding() {
            return actions != null && actions.discard;
        }

        @Override
        public void whatsup(String action, String text, String recipient) {
            log.add(action + ": " + text + "; to=<" + recipient + ">");
        }

        @Override
        public void warning(String text) {
            log.add("warning: " + text);
        }
    }

    private Path table(String text) throws Exception {
        Path p = dir.resolve("access");
        Files.writeString(p, text);
        return p;
    }

    private static Restrictions compile(List<String> sender, List<String> recipient, List<String> data) {
        return Restrictions.compile(new RestrictionSettings(List.of(), List.of(), sender, List.of(), recipient, data,
                List.of("127.0.0.0/8"), "host", List.of("local.example"), List.of(), "", "sha256", true));
    }

    private static CheckContext rcpt(String rcpt) throws Exception {
        return new CheckContext(InetAddress.getByName("192.0.2.7"), "mail.client.example", "helo.client.example", false,
                PeerCertificate.NONE, SENDER, rcpt);
    }

    private static String verdict(Restrictions.Refusal r) {
        return r == null ? "accepted" : r.hangup() ? "hang up" : r.reply().oneLine();
    }

    @Test
    void holdIsLoggedOnceAndTheRecipientChecksGoOn() throws Exception {
        Path t = table("held@local.example HOLD\nquiet@local.example HOLD quarantined by policy\n"
                + "held@remote.example HOLD\n");
        Restrictions r = compile(List.of(), List.of("check_recipient_access", "texthash:" + t, "reject_unauth_destination"),
                List.of());
        Recorder tx = new Recorder();
        assertEquals("accepted", verdict(r.recipientRefusal(rcpt("held@local.example"), tx)));
        assertTrue(tx.actions.hold);
        assertEquals(List.of("hold: <held@local.example>: Recipient address triggers HOLD action; to=<held@local.example>"),
                tx.log);
        // "we may still change our mind": the HOLD returns DUNNO, later restrictions still reject
        Recorder other = new Recorder();
        assertEquals("554 5.7.1 <held@remote.example>: Relay access denied",
                verdict(r.recipientRefusal(rcpt("held@remote.example"), other)));
        assertTrue(other.actions.hold, "the action stays for the transaction although this recipient was refused");
        // a second HOLD in the same transaction is not logged again
        assertEquals("accepted", verdict(r.recipientRefusal(rcpt("quiet@local.example"), tx)));
        assertEquals(1, tx.log.size(), tx.log.toString());
        Recorder text = new Recorder();
        r.recipientRefusal(rcpt("quiet@local.example"), text);
        assertEquals(List.of("hold: <quiet@local.example>: Recipient address quarantined by policy; to=<quiet@local.example>"),
                text.log);
    }

    @Test
    void discardPermitsAndNothingIsCheckedAfterItInTheTransaction() throws Exception {
        Path t = table(SENDER + " DISCARD\n");
        Restrictions r = compile(List.of("check_sender_access", "texthash:" + t, "reject"),
                List.of("reject_unauth_destination"), List.of("reject"));
        Recorder tx = new Recorder();
        // The sender list permits (smtpd_acl_permit()); the relay check is skipped: the message goes nowhere.
        assertEquals("accepted", verdict(r.recipientRefusal(rcpt("a@remote.example"), tx)));
        assertTrue(tx.actions.discard);
        assertEquals(List.of("discard: <" + SENDER + ">: Sender address triggers DISCARD action; to=<a@remote.example>"),
                tx.log);
        assertEquals("accepted", verdict(r.recipientRefusal(rcpt("b@remote.example"), tx)));
        assertEquals("accepted", verdict(r.dataRefusal(rcpt(null), tx)), "smtpd_data_restrictions are skipped too");
        assertEquals(1, tx.log.size(), "logged once: later checks stop before the table: " + tx.log);
        // Without the DISCARD, the same lists refuse.
        assertEquals("554 5.7.1 <" + SENDER + ">: Sender address rejected: Access denied",
                verdict(compile(List.of("reject"), List.of(), List.of()).recipientRefusal(rcpt("a@remote.example"), new Recorder())));
    }

    @Test
    void discardWithATextAndADeferIfPermitStillDefers() throws Exception {
        Path t = table("a@local.example DISCARD spam trap\n");
        Restrictions r = compile(List.of("defer_if_permit"), List.of("check_recipient_access", "texthash:" + t), List.of());
        Recorder tx = new Recorder();
        assertEquals("450 4.7.0 <" + SENDER + ">: Sender address rejected: defer_if_permit requested",
                verdict(r.recipientRefusal(rcpt("a@local.example"), tx)));
        assertEquals(List.of("discard: <a@local.example>: Recipient address spam trap; to=<a@local.example>"), tx.log);
    }

    @Test
    void redirectTheLastWinsAndBccAllAreKept() throws Exception {
        Path t = table("one@local.example REDIRECT first@catch.example\n"
                + "two@local.example REDIRECT second@catch.example\n"
                + "three@local.example BCC archive@catch.example\n"
                + "four@local.example BCC audit@catch.example\n"
                + "bad@local.example REDIRECT nobody\n"
                + "worse@local.example BCC \"quoted\"@catch.example\n");
        Restrictions r = compile(List.of(), List.of("check_recipient_access", "texthash:" + t, "reject_unauth_destination"),
                List.of());
        Recorder tx = new Recorder();
        for (String k : List.of("one", "two", "three", "four", "bad", "worse")) {
            assertEquals("accepted", verdict(r.recipientRefusal(rcpt(k + "@local.example"), tx)), k);
        }
        assertEquals(MailAddress.parse("second@catch.example"), tx.actions.redirect);
        assertEquals(List.of(MailAddress.parse("archive@catch.example"), MailAddress.parse("audit@catch.example")),
                tx.actions.bcc);
        assertEquals(List.of(
                "redirect: <one@local.example>: Recipient address triggers REDIRECT first@catch.example; to=<one@local.example>",
                "redirect: <two@local.example>: Recipient address triggers REDIRECT second@catch.example; to=<two@local.example>",
                "bcc: <three@local.example>: Recipient address triggers BCC archive@catch.example; to=<three@local.example>",
                "bcc: <four@local.example>: Recipient address triggers BCC audit@catch.example; to=<four@local.example>",
                "warning: access table texthash:" + t + " entry \"bad@local.example\" requires user@domain target",
                "warning: access table texthash:" + t + " entry \"worse@local.example\" requires user@domain target"),
                tx.log);
    }

    @Test
    void prependNeedsAHeaderAndIsNotLogged() throws Exception {
        Path t = table("a@local.example PREPEND X-Policy: tagged\n"
                + "b@local.example PREPEND X-Second:\n"
                + "c@local.example PREPEND not a header\n"
                + "d@local.example PREPEND\n"
                + "e@local.example PREPEND : empty name\n"
                + "f@local.example PREPEND X-Escape: a\u001b[2Jb\n"); // a control character: refused, beyond Postfix
        Restrictions r = compile(List.of(), List.of("check_recipient_access", "texthash:" + t), List.of());
        Recorder tx = new Recorder();
        for (String k : List.of("a", "b", "c", "d", "e", "f")) {
            assertEquals("accepted", verdict(r.recipientRefusal(rcpt(k + "@local.example"), tx)), k);
        }
        assertEquals(List.of("X-Policy: tagged", "X-Second:"), tx.actions.prepend);
        String spec = "texthash:" + t;
        assertEquals(List.of(
                "warning: access table " + spec + " entry \"c@local.example\" requires header: text",
                "warning: access table " + spec + " entry \"d@local.example\" requires header: text",
                "warning: access table " + spec + " entry \"e@local.example\" requires header: text",
                "warning: access table " + spec + " entry \"f@local.example\" requires header: text"), tx.log);
    }

    @Test
    void isHeaderAsPostfix() {
        assertTrue(MessageActions.isHeader("X-Foo: bar"));
        assertTrue(MessageActions.isHeader("X-Foo:bar"));
        assertTrue(MessageActions.isHeader("X-Foo :bar")); // obsolete syntax: space before the colon
        assertTrue(MessageActions.isHeader("X-Foo:"));
        assertFalse(MessageActions.isHeader("X Foo: bar"));
        assertFalse(MessageActions.isHeader(" X-Foo: bar"));
        assertFalse(MessageActions.isHeader("X-Foo"));
        assertFalse(MessageActions.isHeader(": bar"));
        assertFalse(MessageActions.isHeader("X-F\u00f6o: bar"));
        assertFalse(MessageActions.isHeader("X-\u0001: bar"));
        assertFalse(MessageActions.isHeader(""));
    }

    @Test
    void hangupEndsTheCheckWithoutAReplyAndInfoWarnAreLogged() throws Exception {
        Path t = table("a@local.example HANGUP go away\nb@local.example INFO looked at\nc@local.example WARN odd\n");
        Restrictions r = compile(List.of(), List.of("check_recipient_access", "texthash:" + t, "reject"), List.of());
        Recorder tx = new Recorder();
        assertEquals("hang up", verdict(r.recipientRefusal(rcpt("a@local.example"), tx)));
        assertEquals("554 5.7.1 <b@local.example>: Recipient address rejected: Access denied",
                verdict(r.recipientRefusal(rcpt("b@local.example"), tx)), "INFO is DUNNO");
        r.recipientRefusal(rcpt("c@local.example"), tx);
        assertEquals(List.of("hangup: go away; to=<a@local.example>", "info: looked at; to=<b@local.example>",
                "warn: odd; to=<c@local.example>"), tx.log);
        assertNull(tx.actions, "none of these is a message action");
    }

    @Test
    void filterTheLastWinsEachIsLoggedAndBadValuesAreWarnedAsPostfix() throws Exception {
        Path t = table("a@local.example FILTER smtp:[192.0.2.1]:10025\n"
                + "b@local.example FILTER scan:\n"
                + "c@local.example FILTER nocolon\n"
                + "d@local.example FILTER\n");
        Restrictions r = compile(List.of(), List.of("check_recipient_access", "texthash:" + t, "reject_unauth_destination"),
                List.of());
        Recorder tx = new Recorder();
        for (String k : List.of("a", "b", "c", "d")) {
            assertEquals("accepted", verdict(r.recipientRefusal(rcpt(k + "@local.example"), tx)), k);
        }
        assertEquals("scan:", tx.actions.filter, "only the last valid one is executed");
        String spec = "texthash:" + t;
        assertEquals(List.of(
                "filter: <a@local.example>: Recipient address triggers FILTER smtp:[192.0.2.1]:10025; to=<a@local.example>",
                "filter: <b@local.example>: Recipient address triggers FILTER scan:; to=<b@local.example>",
                "warning: access table " + spec + " entry \"c@local.example\" requires transport:destination",
                "warning: access table " + spec + " entry \"d@local.example\" has FILTER entry without value"), tx.log);
        // DUNNO: the rest of the list still decides
        Path remote = table("a@remote.example FILTER smtp:[192.0.2.1]:10025\n");
        Recorder other = new Recorder();
        assertEquals("554 5.7.1 <a@remote.example>: Relay access denied", verdict(compile(List.of(),
                List.of("check_recipient_access", "texthash:" + remote, "reject_unauth_destination"), List.of())
                .recipientRefusal(rcpt("a@remote.example"), other)));
        assertEquals("smtp:[192.0.2.1]:10025", other.actions.filter, "kept for the transaction although this recipient was refused");
    }

    @Test
    void filterOutsideAMailTransactionIsSkippedWithAWarning() throws Exception {
        Path t = table("a@local.example FILTER smtp:[192.0.2.1]:10025\n");
        Restrictions r = compile(List.of(), List.of("check_recipient_access", "texthash:" + t, "permit"), List.of());
        assertEquals("accepted", verdict(r.recipientRefusal(rcpt("a@local.example"), null)));
    }

    @Test
    void anActionAtData() throws Exception {
        Path t = table("sender@origin.example HOLD\n");
        Restrictions r = compile(List.of(), List.of(), List.of("check_sender_access", "texthash:" + t));
        Recorder tx = new Recorder();
        assertEquals("accepted", verdict(r.dataRefusal(rcpt(null), tx)));
        assertTrue(tx.actions.hold);
        // no recipient in the check at DATA: the session names the only one, if there is one
        assertEquals(List.of("hold: <sender@origin.example>: Sender address triggers HOLD action; to=<null>"), tx.log);
    }
}

package dev.postern.smtpd;

import dev.postern.config.ConfigLoader;
import dev.postern.mail.Reply;
import dev.postern.testing.TestPki;
import dev.postern.tls.PeerCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restriction evaluation and reply texts, checked against Postfix's smtpd_check.c
 * (postfix-3.12-20260821): generic_checks(), check_table_result(), smtpd_check_reject(),
 * smtpd_check_rcpt(), permit_tls_clientcerts(), reject_unauth_destination().
 */
class RestrictionsTest {
    private static final String CLIENT_NAME = "mail.client.example";
    private static final String CLIENT_ADDR = "192.0.2.7";
    private static final String NAMADDR = CLIENT_NAME + "[" + CLIENT_ADDR + "]";
    private static final String LOCAL_RCPT = "user@local.example";
    private static final String FOREIGN_RCPT = "someone@remote.example";

    @TempDir
    Path dir;

    // ---- helpers --------------------------------------------------------------------------

    /** A settings builder: lists are given as Postfix would split them (comma/whitespace). */
    private static final class S {
        List<String> client = List.of();
        List<String> helo = List.of();
        List<String> sender = List.of();
        List<String> relay = List.of();
        List<String> recipient = List.of();
        List<String> data = List.of();
        List<String> mynetworks = List.of("127.0.0.0/8", "198.51.100.0/24", "[2001:db8::]/32");
        String relayClientcerts = "";
        boolean relayFirst = true;

        S client(String... t) { client = List.of(t); return this; }
        S helo(String... t) { helo = List.of(t); return this; }
        S sender(String... t) { sender = List.of(t); return this; }
        S relay(String... t) { relay = List.of(t); return this; }
        S recipient(String... t) { recipient = List.of(t); return this; }
        S data(String... t) { data = List.of(t); return this; }
        S certs(String spec) { relayClientcerts = spec; return this; }

        Restrictions compile() {
            return Restrictions.compile(new RestrictionSettings(client, helo, sender, relay, recipient, data,
                    mynetworks, "host", List.of("local.example"), List.of("relay.example", ".sub.example"),
                    relayClientcerts, "sha256", relayFirst));
        }
    }

    private static CheckContext ctx(String addr, boolean tls, PeerCertificate peer, String sender, String rcpt) {
        try {
            return new CheckContext(InetAddress.getByName(addr), CLIENT_NAME, "helo.client.example", tls, peer,
                    sender, rcpt);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static CheckContext rcpt(String rcpt) {
        return ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "sender@origin.example", rcpt);
    }

    private static String line(Reply r) {
        return r == null ? "accepted" : r.oneLine();
    }

    private static String check(S s, CheckContext c) {
        return line(s.compile().checkRecipient(c));
    }

    private Path file(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private static String fingerprint(String alg, byte[] der) throws Exception {
        byte[] d = MessageDigest.getInstance(alg).digest(der);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < d.length; i++) {
            sb.append(i == 0 ? "" : ":").append(String.format("%02X", d[i]));
        }
        return sb.toString();
    }

    // ---- generic restrictions -------------------------------------------------------------

    @Test
    void rejectDeferAndPermitReplies() {
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Recipient address rejected: Access denied",
                check(new S().recipient("reject"), rcpt(FOREIGN_RCPT)));
        assertEquals("450 4.3.2 <" + FOREIGN_RCPT + ">: Recipient address rejected: Try again later",
                check(new S().recipient("defer"), rcpt(FOREIGN_RCPT)));
        assertEquals("accepted", check(new S().recipient("permit", "reject"), rcpt(FOREIGN_RCPT)));
        assertEquals("accepted", check(new S().recipient("dunno"), rcpt(FOREIGN_RCPT)), "an exhausted list is DUNNO");
        assertEquals("554 5.7.1 <" + NAMADDR + ">: Client host rejected: Access denied",
                check(new S().client("reject"), rcpt(LOCAL_RCPT)));
        assertEquals("554 5.7.1 <helo.client.example>: Helo command rejected: Access denied",
                check(new S().helo("reject"), rcpt(LOCAL_RCPT)));
        assertEquals("554 5.7.1 <sender@origin.example>: Sender address rejected: Access denied",
                check(new S().sender("reject"), rcpt(LOCAL_RCPT)));
        assertEquals("554 5.7.1 <DATA>: Data command rejected: Access denied",
                line(new S().data("reject").compile().checkData(rcpt(null))));
        assertEquals("accepted", line(new S().data("permit").compile().checkData(rcpt(null))));
    }

    @Test
    void unauthDestination() {
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(new S().relay("reject_unauth_destination"), rcpt(FOREIGN_RCPT)));
        assertEquals("454 4.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(new S().relay("defer_unauth_destination"), rcpt(FOREIGN_RCPT)));
        S s = new S().relay("reject_unauth_destination");
        assertEquals("accepted", check(s, rcpt(LOCAL_RCPT)), "mydestination");
        assertEquals("accepted", check(s, rcpt("x@RELAY.example")), "relay_domains, case-insensitive");
        assertEquals("accepted", check(s, rcpt("x@deeper.relay.example")),
                "Postfix's default parent_domain_matches_subdomains lists relay_domains: relay.example covers subdomains");
        Restrictions explicit = Restrictions.compile(new RestrictionSettings(List.of(), List.of(), List.of(),
                List.of("reject_unauth_destination"), List.of(), List.of(), List.of("127.0.0.0/8"), "host",
                List.of("local.example"), List.of("relay.example", ".sub.example"), "", "sha256", true, "", List.of(),
                "origin.example"));
        assertEquals("554 5.7.1 <x@deeper.relay.example>: Relay access denied",
                line(explicit.checkRecipient(rcpt("x@deeper.relay.example"))),
                "without relay_domains in parent_domain_matches_subdomains, only .relay.example would cover subdomains");
        assertEquals("accepted", line(explicit.checkRecipient(rcpt("x@a.sub.example"))));
        assertEquals("accepted", check(s, rcpt("x@a.sub.example")), ".sub.example covers subdomains");
        assertEquals("accepted", check(new S().recipient("permit_auth_destination", "reject"), rcpt(LOCAL_RCPT)));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Recipient address rejected: Access denied",
                check(new S().recipient("permit_auth_destination", "reject"), rcpt(FOREIGN_RCPT)));
    }

    @Test
    void permitMynetworks() {
        S s = new S().relay("permit_mynetworks", "reject_unauth_destination");
        assertEquals("accepted", check(s, ctx("198.51.100.20", false, PeerCertificate.NONE, "", FOREIGN_RCPT)));
        assertEquals("accepted", check(s, ctx("127.0.0.1", false, PeerCertificate.NONE, "", FOREIGN_RCPT)));
        assertEquals("accepted", check(s, ctx("2001:db8:1::5", false, PeerCertificate.NONE, "", FOREIGN_RCPT)));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(s, ctx("198.51.101.20", false, PeerCertificate.NONE, "", FOREIGN_RCPT)));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(s, ctx("2001:db9::5", false, PeerCertificate.NONE, "", FOREIGN_RCPT)));
    }

    @Test
    void permitTlsAllClientcerts() {
        S s = new S().recipient("permit_tls_all_clientcerts", "reject");
        PeerCertificate trusted = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "alice", "CA", "AA:01", "BB:01");
        PeerCertificate untrusted = new PeerCertificate(PeerCertificate.Status.UNTRUSTED, "untrusted issuer /CN=X",
                "mallory", "X", "AA:02", "BB:02");
        String denied = "554 5.7.1 <" + FOREIGN_RCPT + ">: Recipient address rejected: Access denied";
        assertEquals("accepted", check(s, ctx(CLIENT_ADDR, true, trusted, "", FOREIGN_RCPT)));
        assertEquals(denied, check(s, ctx(CLIENT_ADDR, true, untrusted, "", FOREIGN_RCPT)));
        assertEquals(denied, check(s, ctx(CLIENT_ADDR, true, PeerCertificate.NONE, "", FOREIGN_RCPT)));
        assertEquals(denied, check(s, ctx(CLIENT_ADDR, false, trusted, "", FOREIGN_RCPT)), "DUNNO without TLS");
        // Not trusted: Postfix falls through to the relay_clientcerts fingerprint check.
        S listed = new S().recipient("permit_tls_all_clientcerts", "reject").certs("inline:{ AA:02=mallory }");
        assertEquals("accepted", check(listed, ctx(CLIENT_ADDR, true, untrusted, "", FOREIGN_RCPT)));
    }

    @Test
    void permitTlsClientcertsMatchesSha256FingerprintsOfTheRealCertificate() throws Exception {
        X509Certificate cert = TestPki.create(dir.resolve("pki")).goodClient().certificate();
        String certSha256 = fingerprint("SHA-256", cert.getEncoded());
        String pkeySha256 = fingerprint("SHA-256", cert.getPublicKey().getEncoded());
        String certMd5 = fingerprint("MD5", cert.getEncoded());
        assertEquals(32 * 3 - 1, certSha256.length());
        // relay_clientcerts keys are case-folded; the value is ignored.
        Path table = file("relay_clientcerts", certSha256.toLowerCase() + " alice\n");
        S s = new S().relay("permit_tls_clientcerts", "reject_unauth_destination").certs("hash:" + table);
        PeerCertificate untrustedSha256 = new PeerCertificate(PeerCertificate.Status.UNTRUSTED, "untrusted issuer",
                "alice", "CA", certSha256, pkeySha256);
        assertEquals("accepted", check(s, ctx(CLIENT_ADDR, true, untrustedSha256, "", FOREIGN_RCPT)),
                "a listed fingerprint permits even without a trusted chain");
        PeerCertificate md5 = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "alice", "CA", certMd5,
                fingerprint("MD5", cert.getPublicKey().getEncoded()));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(s, ctx(CLIENT_ADDR, true, md5, "", FOREIGN_RCPT)),
                "md5 fingerprints (compatibility_level < 3.6) do not match a sha256 list; trust alone does not permit");
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(s, ctx(CLIENT_ADDR, false, untrustedSha256, "", FOREIGN_RCPT)), "no TLS, no permit");
        // The public-key fingerprint alone is enough too.
        Path pkeyTable = file("pkey_certs", pkeySha256 + " alice\n");
        S p = new S().relay("permit_tls_clientcerts", "reject_unauth_destination").certs("texthash:" + pkeyTable);
        assertEquals("accepted", check(p, ctx(CLIENT_ADDR, true, untrustedSha256, "", FOREIGN_RCPT)));
        // A missing indexed table is a temporary failure (Postfix: "is unavailable"), named by the recipient.
        S missing = new S().relay("permit_tls_clientcerts", "reject_unauth_destination")
                .certs("hash:" + dir.resolve("absent"));
        assertEquals("451 4.3.0 <" + FOREIGN_RCPT + ">: Temporary lookup failure",
                check(missing, ctx(CLIENT_ADDR, true, untrustedSha256, "", FOREIGN_RCPT)));
    }

    @Test
    void fingerprintDigestFollowsCompatibilityLevel() throws Exception {
        assertEquals("md5", settingsFor("").fingerprintDigest(), "no compatibility_level (the seed's main.cf)");
        assertEquals("md5", settingsFor("compatibility_level = 3.5\n").fingerprintDigest());
        assertEquals("sha256", settingsFor("compatibility_level = 3.6\n").fingerprintDigest());
        assertEquals("sha256", settingsFor("compatibility_level = 3.10\n").fingerprintDigest());
        assertEquals("sha1", settingsFor("smtpd_tls_fingerprint_digest = sha1\n").fingerprintDigest());
    }

    private RestrictionSettings settingsFor(String mainCf) throws Exception {
        Path d = Files.createTempDirectory(dir, "cf");
        Files.writeString(d.resolve("main.cf"), mainCf + "smtpd_recipient_restrictions = reject_unauth_destination\n");
        Files.writeString(d.resolve("master.cf"), "587 inet n - n - - smtpd\n");
        dev.postern.config.Config c = ConfigLoader.load(d).config();
        return RestrictionSettings.from(c, c);
    }

    // ---- access tables --------------------------------------------------------------------

    private static final String[][] RECIPIENT_ACTIONS = {
        // value, expected reply for <key@x.example> via check_recipient_access then "permit"
        {"OK", "accepted"},
        {"ok trailing text ignored", "accepted"},
        {"RELAY", "accepted"},
        {"1234567890", "accepted"},
        {"550", "accepted"}, // all-numerical: "probably means OK", checked before NNN text
        {"REJECT", "554 5.7.1 <K>: Recipient address rejected: Access denied"},
        {"REJECT no thanks", "554 5.7.1 <K>: Recipient address rejected: no thanks"},
        {"reject 5.7.2 go away", "554 5.7.2 <K>: Recipient address rejected: go away"},
        {"REJECT 5.7.1", "554 5.7.1 <K>: Recipient address rejected: Access denied"},
        {"REJECT 4.7.1 wrong class", "554 5.7.1 <K>: Recipient address rejected: wrong class"},
        {"REJECT 5.7.1x not a code", "554 5.7.1 <K>: Recipient address rejected: 5.7.1x not a code"},
        {"DEFER", "450 4.7.1 <K>: Recipient address rejected: Access denied"},
        {"DEFER 4.2.0 mailbox busy", "450 4.2.0 <K>: Recipient address rejected: mailbox busy"},
        {"DEFER come back later", "450 4.7.1 <K>: Recipient address rejected: come back later"},
        {"550 5.7.1 no thanks", "550 5.7.1 <K>: Recipient address rejected: no thanks"},
        {"550 no thanks", "550 5.7.1 <K>: Recipient address rejected: no thanks"},
        {"550 5.7.1", "550 5.7.1 <K>: Recipient address rejected: Access denied"},
        {"551 5.1.6 moved away", "551 5.1.6 <K>: Recipient address rejected: moved away"},
        {"550 5.1.7 bad sender syntax", "550 5.1.3 <K>: Recipient address rejected: bad sender syntax"},
        {"450 4.2.1 try later", "450 4.2.1 <K>: Recipient address rejected: try later"},
        {"450 5.7.1 class mismatch", "450 4.7.1 <K>: Recipient address rejected: class mismatch"},
        {"421 4.7.0 closing", "421 4.7.0 <K>: Recipient address rejected: closing"},
        {"DUNNO", "accepted"},
        {"DEFER_IF_PERMIT", "450 4.7.1 <K>: Recipient address rejected: Service unavailable"},
        {"DEFER_IF_PERMIT 4.7.5 slow down", "450 4.7.5 <K>: Recipient address rejected: slow down"},
        {"DEFER_IF_REJECT", "accepted"}, // nothing rejects afterwards
        {"reject_unauth_destination", "554 5.7.1 <K>: Relay access denied"},
        {"permit_mynetworks", "accepted"}, // DUNNO for 192.0.2.7, then "permit"
        {"permit_mynetworks, reject", "554 5.7.1 <K>: Recipient address rejected: Access denied"},
        {"defer", "450 4.7.1 <K>: Recipient address rejected: Access denied"}, // the DEFER action: case-insensitive
        {"FOOBAR", "451 4.3.5 Server configuration error"},
        {"250 ok", "451 4.3.5 Server configuration error"},
        {"hash:/etc/postfix/other", "451 4.3.5 Server configuration error"},
        {"FILTER smtp:[192.0.2.1]:10025", "accepted"}, // DUNNO; what it does to the message: AccessActionSessionTest
        {"HANGUP", "hang up"},
    };

    @Test
    void everyAccessActionOnARecipient() throws Exception {
        StringBuilder table = new StringBuilder("# access(5) actions\n");
        for (int i = 0; i < RECIPIENT_ACTIONS.length; i++) {
            table.append("k").append(i).append("@x.example ").append(RECIPIENT_ACTIONS[i][0]).append('\n');
        }
        Path t = file("access", table.toString());
        Restrictions r = new S().recipient("check_recipient_access", "texthash:" + t, "permit").compile();
        StringBuilder failures = new StringBuilder();
        for (int i = 0; i < RECIPIENT_ACTIONS.length; i++) {
            String key = "k" + i + "@x.example";
            String expected = RECIPIENT_ACTIONS[i][1].replace("<K>", "<" + key + ">");
            Restrictions.Refusal refusal = r.recipientRefusal(rcpt(key), null);
            String got = refusal != null && refusal.hangup() ? "hang up" : line(refusal == null ? null : refusal.reply());
            if (!expected.equals(got)) {
                failures.append("\n  ").append(RECIPIENT_ACTIONS[i][0]).append(": expected ").append(expected)
                        .append(", got ").append(got);
            }
        }
        assertEquals("", failures.toString());
    }

    @Test
    void dunnoStopsTheTableAndFallsThroughToTheNextRestriction() throws Exception {
        Path t = file("access", "stop@x.example DUNNO\nx.example REJECT domain\n");
        S s = new S().recipient("check_recipient_access", "hash:" + t, "reject_unauth_destination");
        assertEquals("554 5.7.1 <stop@x.example>: Relay access denied", check(s, rcpt("stop@x.example")));
        assertEquals("554 5.7.1 <other@x.example>: Recipient address rejected: domain", check(s, rcpt("other@x.example")));
    }

    @Test
    void deferIfPermitAndDeferIfReject() throws Exception {
        Path t = file("access", "slow@x.example DEFER_IF_PERMIT slow down\nsoft@x.example DEFER_IF_REJECT maybe\n");
        String spec = "texthash:" + t;
        // DEFER_IF_PERMIT: a later permit becomes the deferral; a later reject stays a reject.
        assertEquals("450 4.7.1 <slow@x.example>: Recipient address rejected: slow down",
                check(new S().recipient("check_recipient_access", spec, "permit"), rcpt("slow@x.example")));
        assertEquals("554 5.7.1 <slow@x.example>: Recipient address rejected: Access denied",
                check(new S().recipient("check_recipient_access", spec, "reject"), rcpt("slow@x.example")));
        // DEFER_IF_REJECT: a later 5xx becomes the deferral; a later permit stays a permit.
        assertEquals("450 4.7.1 <soft@x.example>: Recipient address rejected: maybe",
                check(new S().recipient("check_recipient_access", spec, "reject"), rcpt("soft@x.example")));
        assertEquals("450 4.7.1 <soft@x.example>: Recipient address rejected: maybe",
                check(new S().recipient("check_recipient_access", spec, "reject_unauth_destination"),
                        rcpt("soft@x.example")));
        assertEquals("accepted", check(new S().recipient("check_recipient_access", spec, "permit"), rcpt("soft@x.example")));
        // The restriction forms, and defer_if_permit raised at the client stage surviving to RCPT.
        assertEquals("450 4.7.0 <" + NAMADDR + ">: Client host rejected: defer_if_permit requested",
                check(new S().client("defer_if_permit").recipient("permit"), rcpt(LOCAL_RCPT)));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied",
                check(new S().client("defer_if_permit").relay("reject_unauth_destination"), rcpt(FOREIGN_RCPT)));
        assertEquals("450 4.7.0 <" + FOREIGN_RCPT + ">: Recipient address rejected: defer_if_reject requested",
                check(new S().recipient("defer_if_reject", "reject_unauth_destination"), rcpt(FOREIGN_RCPT)));
        // defer_if_reject is reset between stages (SMTPD_CHECK_RESET).
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Recipient address rejected: Access denied",
                check(new S().client("defer_if_reject").recipient("reject"), rcpt(FOREIGN_RCPT)));
        assertEquals("554 5.7.1 <sender@origin.example>: Sender address rejected: Access denied",
                check(new S().client("defer_if_reject").sender("reject"), rcpt(FOREIGN_RCPT)));
        assertEquals("450 4.7.0 <sender@origin.example>: Sender address rejected: defer_if_reject requested",
                check(new S().sender("defer_if_reject", "reject"), rcpt(FOREIGN_RCPT)));
    }

    @Test
    void checkClientAccess() throws Exception {
        Path t = file("clients", CLIENT_ADDR + " REJECT by address\n"
                + "named.client.example OK\n192.0.2.8 550 5.7.1 go away\n");
        S s = new S().client("check_client_access", "texthash:" + t).recipient("permit");
        assertEquals("554 5.7.1 <" + NAMADDR + ">: Client host rejected: by address", check(s, rcpt(LOCAL_RCPT)));
        // The host name is looked up before the address (check_namadr_access()).
        CheckContext named = new CheckContext(InetAddress.getByName(CLIENT_ADDR), "named.client.example", null, false,
                PeerCertificate.NONE, "", LOCAL_RCPT);
        assertEquals("accepted", check(s, named));
        CheckContext other = new CheckContext(InetAddress.getByName("192.0.2.8"), "unknown", null, false,
                PeerCertificate.NONE, "", LOCAL_RCPT);
        assertEquals("550 5.7.1 <unknown[192.0.2.8]>: Client host rejected: go away", check(s, other));
        // Used in another list, an access check keeps its own name and class.
        S inRcpt = new S().recipient("check_client_access", "texthash:" + t, "permit");
        assertEquals("554 5.7.1 <" + NAMADDR + ">: Client host rejected: by address", check(inRcpt, rcpt(LOCAL_RCPT)));
        // A restriction name as the value is evaluated with the table's name and class.
        Path r = file("clients2", CLIENT_ADDR + " reject\n");
        assertEquals("554 5.7.1 <" + NAMADDR + ">: Client host rejected: Access denied",
                check(new S().recipient("check_client_access", "texthash:" + r), rcpt(LOCAL_RCPT)));
    }

    /** IPv6 clients are looked up and named in Postfix's compressed form (2001:db8::7), not the JDK's. */
    @Test
    void ipv6ClientsAreLookedUpInTheCompressedForm() throws Exception {
        Path t = file("clients6", "2001:db8::7 REJECT by v6 address\n");
        S s = new S().client("check_client_access", "texthash:" + t).recipient("permit");
        CheckContext v6 = new CheckContext(InetAddress.getByName("2001:db8:0:0:0:0:0:7"), "unknown", null, false,
                PeerCertificate.NONE, "", LOCAL_RCPT);
        assertEquals("554 5.7.1 <unknown[2001:db8::7]>: Client host rejected: by v6 address", check(s, v6));
        Path nets = file("nets6", "2001:db8::7 OK\n");
        S mine = new S().recipient("permit_mynetworks", "reject");
        mine.mynetworks = List.of("texthash:" + nets);
        assertEquals("accepted", check(mine, v6), "a mynetworks table entry in the usual IPv6 form matches");
    }

    @Test
    void checkSenderAccess() throws Exception {
        Path t = file("senders", "<> 550 5.7.1 no bounces here\nspam.example REJECT\npostmaster@ OK\n"
                + "bad@good.example 553 5.1.1 unknown sender\n");
        S s = new S().sender("check_sender_access", "texthash:" + t).recipient("permit");
        assertEquals("550 5.7.1 <>: Sender address rejected: no bounces here",
                check(s, ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "", LOCAL_RCPT)));
        assertEquals("554 5.7.1 <a@SPAM.example>: Sender address rejected: Access denied",
                check(s, ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "a@SPAM.example", LOCAL_RCPT)), "domain key");
        S orReject = new S().sender("check_sender_access", "texthash:" + t, "reject").recipient("permit");
        assertEquals("accepted", check(orReject,
                ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "postmaster@other.example", LOCAL_RCPT)), "user@ key");
        assertEquals("554 5.7.1 <postmaster@spam.example>: Sender address rejected: Access denied", check(orReject,
                ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "postmaster@spam.example", LOCAL_RCPT)),
                "the domain is looked up before user@");
        // smtpd_dsn_fix(): a recipient-type 5.1.1 becomes the sender-type 5.1.7 when rejecting a sender.
        assertEquals("553 5.1.7 <bad@good.example>: Sender address rejected: unknown sender",
                check(s, ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "bad@good.example", LOCAL_RCPT)));
        assertEquals("accepted", check(s, ctx(CLIENT_ADDR, false, PeerCertificate.NONE, "ok@good.example", LOCAL_RCPT)));
    }

    @Test
    void regexpAndCidrTablesSeeOnlyTheEntireAddress() throws Exception {
        // access(5): with regexp tables "user@domain mail addresses are not broken up".
        Path re = file("rcpt.regexp", "/^x\\.example$/ REJECT domain only\n/^bad@/ REJECT 5.7.1 whole address\n");
        S s = new S().recipient("check_recipient_access", "regexp:" + re, "permit");
        assertEquals("accepted", check(s, rcpt("a@x.example")));
        assertEquals("554 5.7.1 <bad@x.example>: Recipient address rejected: whole address", check(s, rcpt("bad@x.example")));
        Path hash = file("rcpt.hash", "x.example REJECT domain\n");
        assertEquals("554 5.7.1 <a@x.example>: Recipient address rejected: domain",
                check(new S().recipient("check_recipient_access", "hash:" + hash, "permit"), rcpt("a@x.example")));
        Path cidr = file("clients.cidr", "192.0.2.0/24 REJECT documentation net\n");
        assertEquals("554 5.7.1 <" + NAMADDR + ">: Client host rejected: documentation net",
                check(new S().client("check_client_access", "cidr:" + cidr), rcpt(LOCAL_RCPT)));
    }

    @Test
    void checkHeloAndCcertAccess() throws Exception {
        Path helo = file("helo", "helo.client.example REJECT 5.7.1 liar\n");
        assertEquals("554 5.7.1 <helo.client.example>: Helo command rejected: liar",
                check(new S().helo("check_helo_access", "texthash:" + helo), rcpt(LOCAL_RCPT)));
        Path cc = file("ccerts", "AA:01 REJECT revoked\nBB:02 OK\n");
        S s = new S().recipient("check_ccert_access", "texthash:" + cc, "reject_unauth_destination");
        PeerCertificate revoked = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "alice", "CA", "AA:01", "BB:01");
        assertEquals("554 5.7.1 <alice>: Client certificate rejected: revoked",
                check(s, ctx(CLIENT_ADDR, true, revoked, "", FOREIGN_RCPT)));
        PeerCertificate pkey = new PeerCertificate(PeerCertificate.Status.UNTRUSTED, "x", "bob", "X", "AA:99", "BB:02");
        assertEquals("accepted", check(s, ctx(CLIENT_ADDR, true, pkey, "", FOREIGN_RCPT)));
        // Both fingerprints listed: the certificate fingerprint is searched first (default search_order).
        PeerCertificate both = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "carol", "CA", "AA:01", "BB:02");
        assertEquals("554 5.7.1 <carol>: Client certificate rejected: revoked",
                check(s, ctx(CLIENT_ADDR, true, both, "", FOREIGN_RCPT)));
    }

    @Test
    void bareTableIsTheListsDefaultAccessCheck() throws Exception {
        Path t = file("rcpts", "blocked@local.example REJECT\n");
        assertEquals("554 5.7.1 <blocked@local.example>: Recipient address rejected: Access denied",
                check(new S().recipient("texthash:" + t), rcpt("blocked@local.example")));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S().data("texthash:" + t).compile());
        assertTrue(e.getMessage().contains("smtpd_data_restrictions"), e.getMessage());
    }

    @Test
    void lookupFailureIsATemporaryFailureNamedAfterTheTablesSubject() {
        // Postfix's check_access()/check_mail_access(): a table error is answered as if the table
        // had said "451 4.3.5 Server configuration error".
        String missing = "hash:" + dir.resolve("no-such-table");
        assertEquals("451 4.3.5 <" + NAMADDR + ">: Client host rejected: Server configuration error",
                check(new S().recipient("check_client_access", missing, "permit"), rcpt(LOCAL_RCPT)));
        assertEquals("451 4.3.5 <" + LOCAL_RCPT + ">: Recipient address rejected: Server configuration error",
                check(new S().recipient("check_recipient_access", missing, "permit"), rcpt(LOCAL_RCPT)));
    }

    // ---- evaluation order -----------------------------------------------------------------

    @Test
    void delayedRejectOrderClientHeloSenderRelayRecipient() {
        // smtpd_delay_reject=yes (Postern always): every list is evaluated at RCPT, in this order.
        S all = new S().client("reject").helo("reject").sender("reject").relay("reject").recipient("reject");
        assertTrue(check(all, rcpt(LOCAL_RCPT)).contains("Client host rejected"));
        all.client("permit");
        assertTrue(check(all, rcpt(LOCAL_RCPT)).contains("Helo command rejected"), "a client permit ends only its list");
        all.helo("permit");
        assertTrue(check(all, rcpt(LOCAL_RCPT)).contains("Sender address rejected"));
        all.sender("permit");
        assertEquals("554 5.7.1 <" + LOCAL_RCPT + ">: Recipient address rejected: Access denied", check(all, rcpt(LOCAL_RCPT)));
        // relay before recipient, and a relay permit does not skip the recipient list
        S rr = new S().relay("reject_unauth_destination").recipient("reject");
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied", check(rr, rcpt(FOREIGN_RCPT)));
        S rp = new S().relay("permit").recipient("defer");
        assertEquals("450 4.3.2 <" + LOCAL_RCPT + ">: Recipient address rejected: Try again later", check(rp, rcpt(LOCAL_RCPT)));
        // Below compatibility_level 3.6 (smtpd_relay_before_recipient_restrictions = no) the recipient list comes first.
        rr.relayFirst = false;
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Recipient address rejected: Access denied", check(rr, rcpt(FOREIGN_RCPT)));
        // smtpd_check_helo() does nothing before HELO/EHLO.
        CheckContext noHelo = new CheckContext(rcpt(LOCAL_RCPT).clientAddress(), CLIENT_NAME, null, false,
                PeerCertificate.NONE, "s@x.example", LOCAL_RCPT);
        assertEquals("accepted", check(new S().helo("reject"), noHelo));
        // The data list is separate from the RCPT lists.
        Restrictions d = new S().recipient("permit").data("defer").compile();
        assertNull(d.checkRecipient(rcpt(LOCAL_RCPT)));
        assertEquals("450 4.3.2 <DATA>: Data command rejected: Try again later", line(d.checkData(rcpt(null))));
    }

    @Test
    void theSeedsSubmissionPolicy() {
        // master.cf: -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject
        S seed = new S().recipient("permit_mynetworks", "permit_tls_all_clientcerts", "reject");
        PeerCertificate trusted = new PeerCertificate(PeerCertificate.Status.TRUSTED, "", "alice", "CA", "AA", "BB");
        assertEquals("accepted", check(seed, ctx(CLIENT_ADDR, true, trusted, "a@x.example", FOREIGN_RCPT)));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Recipient address rejected: Access denied",
                check(seed, ctx(CLIENT_ADDR, true, PeerCertificate.NONE, "a@x.example", FOREIGN_RCPT)));
    }

    @Test
    void unknownRestrictionsAreStartupErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S().recipient("permit_mynetwork").compile());
        assertTrue(e.getMessage().contains("smtpd_recipient_restrictions") && e.getMessage().contains("permit_mynetwork"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new S().client("check_client_access").compile());
        assertTrue(Arrays.asList(RECIPIENT_ACTIONS).size() > 30);
    }
    /** For metrics: the refusal names the restriction as configured; a nested access-table action counts as the table's check. */
    @Test
    void refusalsNameTheRestrictionThatRefused() throws Exception {
        Restrictions.Refusal relay = new S().relay("permit_mynetworks", "reject_unauth_destination").compile()
                .recipientRefusal(rcpt(FOREIGN_RCPT));
        assertEquals("554 5.7.1 <" + FOREIGN_RCPT + ">: Relay access denied", relay.reply().oneLine());
        assertEquals("reject_unauth_destination", relay.restriction());
        Path t = file("clients", CLIENT_ADDR + " reject_unauth_destination\n");
        Restrictions nested = new S().client("check_client_access", "texthash:" + t).recipient("permit").compile();
        assertEquals("check_client_access", nested.recipientRefusal(rcpt(FOREIGN_RCPT)).restriction());
        assertNull(nested.recipientRefusal(rcpt(LOCAL_RCPT)));
        assertEquals("defer_if_permit", new S().client("defer_if_permit").recipient("permit").compile()
                .recipientRefusal(rcpt(LOCAL_RCPT)).restriction());
    }
}

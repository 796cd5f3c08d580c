package dev.postern.smtpd;

import dev.postern.config.ConfigException;
import dev.postern.server.Plan;
import dev.postern.server.Server;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code postern check} (and start and reload, which build the same plan) says about
 * smtpd_discard_ehlo_keywords and smtpd_discard_ehlo_keyword_address_maps, where Postfix says
 * nothing: unknown keywords, table keys that never match, AUTH hidden where it is the point, and
 * (an error) STARTTLS hidden on a service that requires it.
 */
class DiscardEhloCheckTest {
    @TempDir
    Path dir;
    TestPki pki;

    @BeforeEach
    void pki() throws Exception {
        pki = TestPki.create(dir.resolve("pki"));
    }

    private Plan plan(String main, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "compatibility_level = 3.6\nmyhostname = mx.postern.test\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n"
                + "smtpd_tls_cert_file = " + pki.serverCertFile() + "\nsmtpd_tls_key_file = " + pki.serverKeyFile() + "\n"
                + main);
        Files.writeString(dir.resolve("master.cf"), master);
        return Server.plan(dir);
    }

    private static List<String> about(Plan p) {
        return p.warnings().stream().filter(w -> w.contains("discard_ehlo")).toList();
    }

    @Test
    void hidingStartTlsWhereTlsIsRequiredIsAnErrorAtTheLineThatHidesIt() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> plan("smtpd_tls_security_level = encrypt\n"
                + "smtpd_discard_ehlo_keywords = dsn, STARTTLS\n", "127.0.0.1:0 inet n - n - - smtpd\n"));
        assertEquals("main.cf:8: service 127.0.0.1:0: smtpd_discard_ehlo_keywords = dsn, STARTTLS hides STARTTLS on a"
                + " service that requires TLS (smtpd_tls_security_level = encrypt): clients would be told \"530 5.7.0 Must"
                + " issue a STARTTLS command first\" and could never send mail; remove starttls from"
                + " smtpd_discard_ehlo_keywords for this service (master.cf -o smtpd_discard_ehlo_keywords=...), or hide it"
                + " only on a service where TLS is optional (smtpd_tls_security_level = may)", e.getMessage());
        // The same with the level from master.cf: the error still points at the list.
        e = assertThrows(ConfigException.class, () -> plan("smtpd_tls_security_level = may\n"
                + "smtpd_discard_ehlo_keywords = starttls\n",
                "25 inet n - n - - smtpd\n127.0.0.1:0 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt\n"));
        assertEquals("main.cf", e.file());
        assertEquals(8, e.line());
        // ... and at master.cf when an -o hides it.
        e = assertThrows(ConfigException.class, () -> plan("smtpd_tls_security_level = encrypt\n",
                "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_discard_ehlo_keywords=starttls\n"));
        assertEquals("master.cf", e.file());
    }

    @Test
    void hidingStartTlsWhereTlsIsOptionalOrImplicitIsFine() throws Exception {
        assertEquals(List.of(), about(plan("smtpd_tls_security_level = may\nsmtpd_discard_ehlo_keywords = starttls\n",
                "127.0.0.1:0 inet n - n - - smtpd\n")));
        assertEquals(List.of(), about(plan("smtpd_tls_security_level = encrypt\nsmtpd_discard_ehlo_keywords = starttls\n",
                "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n")), "port 465 never offers STARTTLS");
    }

    @Test
    void unknownKeywordsAreNamedWhereTheyAreWritten() throws Exception {
        Plan p = plan("smtpd_discard_ehlo_keywords = dsn, pipelinig\n",
                "127.0.0.1:0 inet n - n - - smtpd\n127.0.0.2:0 inet n - n - - smtpd\n  -o smtpd_discard_ehlo_keywords=etrn,xx\n");
        assertEquals(List.of(
                "main.cf:7: smtpd_discard_ehlo_keywords: unknown EHLO keyword \"pipelinig\" ignored, as Postfix ignores"
                        + " them (known: " + EhloKeyword.known() + ")",
                "master.cf:2: smtpd_discard_ehlo_keywords: unknown EHLO keyword \"xx\" ignored, as Postfix ignores them"
                        + " (known: " + EhloKeyword.known() + ")"), about(p));
    }

    @Test
    void hidingAuthWhereAuthExternalIsOnIsWarned() throws Exception {
        Plan p = plan("smtpd_tls_security_level = may\nsmtpd_tls_ask_ccert = yes\nsmtpd_tls_CAfile = " + pki.caFile() + "\n"
                + "postern_smtpd_auth_external = yes\nsmtpd_discard_ehlo_keywords = auth\n", "127.0.0.1:0 inet n - n - - smtpd\n");
        assertEquals(List.of("main.cf:11: smtpd_discard_ehlo_keywords hides AUTH where postern_smtpd_auth_external = yes:"
                + " AUTH EXTERNAL is never offered and the AUTH command is refused (503 5.5.1), so no client can"
                + " authenticate (permit_sasl_authenticated never permits)"), about(p));
    }

    @Test
    void tableEntriesAreCheckedLineByLine() throws Exception {
        Path table = dir.resolve("ehlo_discard");
        Files.writeString(table, "# by client address\n127.0.0.2 dsn\nmail.example.com dsn\n192.168.1 dsn\n"
                + "2001:DB8:0:0:0:0:0:1 dsn\n[::1] dsn\n192.0.2.1 dsn, chunkin\n198.51.100.1 starttls\n");
        Plan p = plan("smtpd_tls_security_level = may\nsmtpd_discard_ehlo_keyword_address_maps = texthash:" + table + "\n",
                "127.0.0.1:0 inet n - n - - smtpd\n127.0.0.2:0 inet n - n - - smtpd -o smtpd_tls_security_level=encrypt\n");
        String t = table + ":";
        String prefix = ": smtpd_discard_ehlo_keyword_address_maps: ";
        assertEquals(List.of(
                t + 3 + prefix + "key \"mail.example.com\" never matches: the table is searched by the client's IP address"
                        + " only, not by name or network (use a cidr: table for networks)",
                t + 4 + prefix + "key \"192.168.1\" never matches: the table is searched by the client's IP address only,"
                        + " not by name or network (use a cidr: table for networks)",
                t + 5 + prefix + "key \"2001:DB8:0:0:0:0:0:1\" never matches: clients are looked up as 2001:db8::1 (write"
                        + " the key that way; a cidr: table covers networks)",
                t + 6 + prefix + "key \"[::1]\" never matches: clients are looked up as ::1 (write the key that way; a cidr:"
                        + " table covers networks)",
                t + 7 + prefix + "192.0.2.1 -> dsn, chunkin: unknown EHLO keyword \"chunkin\" ignored, as Postfix ignores"
                        + " them (known: " + EhloKeyword.known() + ")",
                t + 8 + prefix + "198.51.100.1 hides STARTTLS on a service that requires TLS (smtpd_tls_security_level ="
                        + " encrypt): the clients it matches are told \"530 5.7.0 Must issue a STARTTLS command first\" and"
                        + " can never send mail"), about(p).stream().distinct().toList());
    }

    @Test
    void aTableThatCannotBeReadIsWarnedAndABadTableTypeIsAnError() throws Exception {
        Path missing = dir.resolve("no-such-table");
        List<String> w = about(plan("smtpd_discard_ehlo_keyword_address_maps = texthash:" + missing + "\n",
                "127.0.0.1:0 inet n - n - - smtpd\n"));
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).startsWith("smtpd_discard_ehlo_keyword_address_maps: texthash:" + missing + ": cannot read"), w.get(0));
        assertTrue(w.get(0).endsWith("while it cannot be read, EHLO is answered \"421 4.3.0 Server local data error\" and"
                + " the session ends, as in Postfix"), w.get(0));
        ConfigException e = assertThrows(ConfigException.class, () -> plan(
                "smtpd_discard_ehlo_keyword_address_maps = ldap:/etc/postfix/ldap.cf\n", "127.0.0.1:0 inet n - n - - smtpd\n"));
        assertTrue(e.getMessage().contains("smtpd_discard_ehlo_keyword_address_maps: unsupported table type \"ldap\""),
                e.getMessage());
    }

    @Test
    void keysWrittenAsPostfixPrintsAddressesPass() {
        assertNull(EhloDiscardCheck.keyProblem("192.0.2.1"));
        assertNull(EhloDiscardCheck.keyProblem("2001:db8::1"));
        assertNull(EhloDiscardCheck.keyProblem("::1"));
    }
}

package dev.postern.config;

import dev.postern.qmgr.QmgrSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * master.cf delivery transports of your own ({@code isp unix - - n - - smtp -o ...}): loaded as
 * services, their -o checked as main.cf values are (and an unknown name refused), parameters the
 * SMTP client does not read warned about, the per-transport main.cf parameters Postfix accepts
 * either honoured or warned about.
 */
class TransportServiceTest {
    private static final String MAIN = "smtpd_recipient_restrictions = reject_unauth_destination\n";
    private static final String SMTPD = "127.0.0.1:0 inet n - n - - smtpd\n";

    @TempDir
    Path dir;

    private LoadedConfig load(String main, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), master);
        return ConfigLoader.load(dir);
    }

    private ConfigException refused(String main, String master) {
        return assertThrows(ConfigException.class, () -> load(main, master));
    }

    @Test
    void aUnixSmtpServiceOfANewNameIsATransportWithItsOverrides() throws Exception {
        LoadedConfig lc = load(MAIN, SMTPD
                + "isp       unix  -       -       n       -       -       smtp\n"
                + "    -o smtp_tls_security_level=encrypt\n"
                + "    -o smtp_helo_name=desktop.example\n"
                + "    -o syslog_name=postfix/$service_name\n");
        assertEquals(List.of(), lc.warnings());
        MasterService isp = lc.config().services().get(1);
        assertTrue(isp.isSmtpTransport());
        assertEquals("isp", isp.name());
        Config sc = lc.config().forService(isp);
        assertEquals("encrypt", sc.get("smtp_tls_security_level"));
        assertEquals("desktop.example", sc.get("smtp_helo_name"));
        assertEquals("postfix/isp", sc.get("syslog_name"), "$service_name is the master.cf service name, as in Postfix");
        assertEquals("master.cf:2", sc.origin("smtp_helo_name"), "-o settings are placed at their service line");
        assertEquals("", lc.config().get("service_name"), "main.cf has no service");
    }

    /**
     * The lines of the built-in smtp and relay transports, as in Postfix's (and Debian's) stock
     * master.cf: transports whose -o apply to them, $service_name being the transport's name.
     */
    @Test
    void theBuiltInSmtpAndRelayLinesAreTransportsWithTheirOverrides() throws Exception {
        LoadedConfig lc = load(MAIN, SMTPD
                + "smtp      unix  -       -       y       -       -       smtp -o smtp_tls_security_level=encrypt\n"
                + "relay     unix  -       -       y       -       -       smtp\n"
                + "    -o { syslog_name = postfix/$service_name }\n"
                + "    -o smtp_helo_timeout=5 -o smtp_connect_timeout=5\n");
        assertEquals(List.of(), lc.warnings(), "both lines are honoured: nothing to report");
        MasterService smtp = lc.config().services().get(1);
        MasterService relay = lc.config().services().get(2);
        assertTrue(smtp.isSmtpTransport() && smtp.isBuiltInTransport());
        assertTrue(relay.isSmtpTransport() && relay.isBuiltInTransport());
        assertEquals("encrypt", lc.config().forService(smtp).get("smtp_tls_security_level"));
        assertEquals(lc.config().get("smtp_tls_security_level"), lc.config().forService(relay).get("smtp_tls_security_level"),
                "the smtp line's -o is not relay's");
        Config rc = lc.config().forService(relay);
        assertEquals("postfix/relay", rc.get("syslog_name"), "Debian's relay line: $service_name is relay");
        assertEquals(java.time.Duration.ofSeconds(5), rc.duration("smtp_helo_timeout"));
        assertEquals(java.time.Duration.ofSeconds(5), rc.duration("smtp_connect_timeout"));
        assertEquals("master.cf:3", rc.origin("smtp_connect_timeout"));
        assertEquals(20, QmgrSettings.from(lc.config()).concurrencyFor("relay"), "relay_destination_concurrency_limit's default");

        LoadedConfig plain = load(MAIN, SMTPD + "smtp unix - - y - - smtp\nrelay unix - - y - - smtp\n");
        assertEquals(List.of(), plain.warnings(), "Postfix's stock lines: nothing ignored, nothing to say");
        assertTrue(plain.config().services().get(2).isBuiltInTransport() && plain.config().services().get(2).overrides().isEmpty());
        assertEquals(List.of("master.cf:2: -o relay_destination_concurrency_limit=2 has no effect on transport relay: its SMTP"
                        + " client does not read relay_destination_concurrency_limit (Postern reads it once for the whole server,"
                        + " from main.cf)"),
                load(MAIN, SMTPD + "relay unix - - n - - smtp -o relay_destination_concurrency_limit=2\n").warnings(),
                "as in Postfix, qmgr reads the limit from main.cf only");
        ConfigException typo = refused(MAIN, SMTPD + "relay unix - - n - - smtp -o smtp_helo_timout=5\n");
        assertEquals("master.cf:2: transport relay: unknown parameter \"smtp_helo_timout\" in -o smtp_helo_timout=5; "
                + "did you mean \"smtp_helo_timeout\"?", typo.getMessage());
        ConfigException dup = refused(MAIN, SMTPD + "relay unix - - n - - smtp\nrelay unix - - n - - smtp -o syslog_name=x\n");
        assertEquals("master.cf:3: duplicate transport relay (also at line 2); remove one of the two lines or rename one "
                + "transport", dup.getMessage());
    }

    /** smtp and relay are always Postern's SMTP client: a line giving them another command is reported, never obeyed. */
    @Test
    void aBuiltInSmtpOrRelayLineWithAnotherCommandIsReportedAsNotSupported() throws Exception {
        LoadedConfig lc = load(MAIN, SMTPD + "relay unix - - n - - lmtp -o lmtp_connect_timeout=5\n"
                + "smtp unix-dgram - - n - - smtp\n");
        assertEquals(List.of("master.cf:2: service 'relay' (lmtp) is not supported: the relay transport is always Postern's SMTP"
                        + " client (a line \"relay unix - - n - - smtp\" gives it -o options; without one it uses main.cf's"
                        + " smtp_* settings); its -o lmtp_connect_timeout take no effect; line ignored",
                "master.cf:3: service 'smtp' (smtp, type unix-dgram) is not supported: the smtp transport is always Postern's SMTP"
                        + " client (a line \"smtp unix - - n - - smtp\" gives it -o options; without one it uses main.cf's"
                        + " smtp_* settings); line ignored"), lc.warnings());
        assertEquals(1, lc.config().services().size(), "only the smtpd line");
    }

    @Test
    void anOverrideOfAParameterTheSmtpClientDoesNotReadIsWarned() throws Exception {
        LoadedConfig lc = load(MAIN, "# services\n" + SMTPD
                + "isp unix - - n - - smtp -o relayhost=[other.example] -o smtpd_timeout=5\n"
                + "  -o smtp_destination_concurrency_limit=3 -o smtp_connect_timeout=5s\n");
        assertEquals(List.of(
                "master.cf:3: -o relayhost=[other.example] has no effect on transport isp: its SMTP client does not read "
                        + "relayhost (Postern reads it once for the whole server, from main.cf)",
                "master.cf:3: -o smtpd_timeout=5 has no effect on transport isp: its SMTP client does not read smtpd_timeout",
                "master.cf:3: -o smtp_destination_concurrency_limit=3 has no effect on transport isp: its SMTP client does not "
                        + "read smtp_destination_concurrency_limit (Postern reads it once for the whole server, from main.cf)"),
                lc.warnings());
    }

    @Test
    void aBadValueIsAnErrorAtTheLineThatSetsIt() {
        ConfigException e = refused(MAIN, SMTPD + "isp unix - - n - - smtp\n  -o smtp_connect_timeout=soon\n");
        assertEquals("master.cf", e.file());
        assertEquals(2, e.line());
        assertTrue(e.getMessage().startsWith("master.cf:2: bad value for smtp_connect_timeout: \"soon\"; use a number with an "
                + "optional unit"), e.getMessage());
        e = refused(MAIN, SMTPD + "isp unix - - n - - smtp -o smtp_mx_session_limit=-1\n");
        assertTrue(e.getMessage().startsWith("master.cf:2: bad value for smtp_mx_session_limit: \"-1\" is less than 0"),
                e.getMessage());
    }

    @Test
    void anUnknownNameIsAnErrorWithTheClosestKnownName() {
        ConfigException e = refused(MAIN, SMTPD + "isp unix - - n - - smtp\n  -o smtp_helo_nmae=desktop.example\n");
        assertEquals("master.cf:2: transport isp: unknown parameter \"smtp_helo_nmae\" in -o smtp_helo_nmae=desktop.example; "
                + "did you mean \"smtp_helo_name\"?", e.getMessage());
    }

    @Test
    void aPostfixParameterPosternDoesNotImplementIsWarnedNotRefused() throws Exception {
        LoadedConfig lc = load(MAIN, SMTPD + "isp unix - - n - - smtp -o smtp_bind_address=192.0.2.1"
                + " -o smtp_tls_note_starttls_offer=yes\n");
        assertEquals(List.of("master.cf:2: parameter \"smtp_bind_address\" is a Postfix parameter that Postern does not implement;"
                + " it has no effect", "master.cf:2: parameter \"smtp_tls_note_starttls_offer\" is not implemented; it has no effect"),
                lc.warnings());
    }

    @Test
    void transportLevelErrorsOfTheSmtpClientNameTheTransportAndLine() throws Exception {
        LoadedConfig lc = load(MAIN + "queue_directory = " + dir.resolve("q") + "\n",
                SMTPD + "isp unix - - n - - smtp\n  -o smtp_tls_security_level=dane\n");
        ConfigException e = assertThrows(ConfigException.class, () -> dev.postern.smtp.SmtpDeliveryAgent.validate(
                lc.config().forService(lc.config().services().get(1))));
        assertTrue(e.getMessage().startsWith("master.cf:2: smtp_tls_security_level: "), e.getMessage());
        ConfigException viaPlan = assertThrows(ConfigException.class, () -> dev.postern.server.Server.plan(dir));
        assertTrue(viaPlan.getMessage().startsWith("master.cf:2: transport isp: smtp_tls_security_level: "), viaPlan.getMessage());
    }

    @Test
    void perTransportConcurrencyIsHonouredAndPostfixsOtherTransportParametersAreWarned() throws Exception {
        LoadedConfig lc = load(MAIN + "isp_destination_concurrency_limit = 3\nisp_destination_rate_delay = 1s\n"
                + "other_destination_concurrency_limit = 4\n", SMTPD + "isp unix - - n - - smtp\n");
        assertEquals(List.of("main.cf:3: parameter \"isp_destination_rate_delay\" is not implemented; it has no effect",
                "main.cf:4: unknown parameter \"other_destination_concurrency_limit\"; did you mean "
                        + "\"relay_destination_concurrency_limit\"?"), lc.warnings());
        QmgrSettings q = QmgrSettings.from(lc.config());
        assertEquals(3, q.concurrencyFor("isp"));
        Config plain = load(MAIN + "default_destination_concurrency_limit = 7\n", SMTPD + "isp unix - - n - - smtp\n").config();
        assertEquals("$default_destination_concurrency_limit", plain.raw("isp_destination_concurrency_limit"), "Postfix's default");
        assertEquals(7, QmgrSettings.from(plain).concurrencyFor("isp"));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        assertEquals(0, dev.postern.cli.Main.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true), "conf",
                "-c", dir.toString(), "isp_destination_concurrency_limit"), err.toString());
        assertEquals("isp_destination_concurrency_limit = $default_destination_concurrency_limit\n", out.toString(),
                "postern conf shows it as postconf does for a master.cf transport");
        assertEquals(20, q.concurrencyFor("smtp"));
        ConfigException e = refused(MAIN + "isp_destination_concurrency_limit = many\n", SMTPD + "isp unix - - n - - smtp\n");
        assertEquals("main.cf:2: bad value for isp_destination_concurrency_limit: \"many\"; use a whole number", e.getMessage());
    }

    /** maxproc of every transport line, custom or smtp/relay with or without -o; "-" and "0" give no cap of its own. */
    @Test
    void aTransportLinesMaxprocCapsItsDeliveriesAtOnce() throws Exception {
        QmgrSettings q = QmgrSettings.from(load(MAIN, SMTPD + "isp unix - - n - 2 smtp\nrelay unix - - n - 5 smtp\n"
                + "smtp unix - - n - 0 smtp -o smtp_helo_timeout=5\nother unix - - n - - smtp\n").config());
        assertEquals(2, q.processLimitFor("isp"));
        assertEquals(5, q.processLimitFor("relay"), "the built-in relay line without -o");
        assertEquals(Integer.MAX_VALUE, q.processLimitFor("smtp"), "0: no limit");
        assertEquals(Integer.MAX_VALUE, q.processLimitFor("other"), "-: only default_process_limit, over all transports");
        assertEquals(Integer.MAX_VALUE, q.processLimitFor("error"));
    }

    @Test
    void whatATransportLineAsksForAndPosternDoesNotDoIsReported() throws Exception {
        LoadedConfig lc = load(MAIN, SMTPD + "isp unix - - n - 4 smtp -v\n");
        assertEquals(List.of("master.cf:2: transport isp: command arguments -v are ignored; only -o name=value options are applied"),
                lc.warnings(), "maxproc 4 is done (the transport's deliveries at once), not warned about");
        ConfigException dup = refused(MAIN, SMTPD + "isp unix - - n - - smtp\nisp unix - - n - - smtp\n");
        assertEquals("master.cf:3: duplicate transport isp (also at line 2); remove one of the two lines or rename one transport",
                dup.getMessage());
        assertFalse(load(MAIN, SMTPD + "retry unix - - n - - smtp\n").config().services().stream()
                .anyMatch(MasterService::isSmtpTransport), "a built-in transport's name stays built in");
    }
}

package dev.postern.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private LoadedConfig load(String main, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), master);
        return ConfigLoader.load(dir);
    }

    private static final String SEED_MAIN = ""
            + "smtpd_tls_req_ccert = yes\n"
            + "smtpd_tls_session_cache_database = sdbm:/etc/postfix/smtpd_scache\n"
            + "\n"
            + "smtpd_tls_CAfile = /etc/postfix/CAcert.pem\n"
            + "smtpd_tls_cert_file = /etc/postfix/server-cert.pem\n"
            + "smtpd_tls_key_file = /etc/postfix/server-key.pem\n"
            + "\n"
            + "# Log TLS info, in logs and headers.\n"
            + "smtpd_tls_loglevel = 2\n"
            + "smtpd_tls_receivedheader = yes\n";

    /** The seed's master.cf entry verbatim, trailing backslashes and all. */
    private static final String SEED_MASTER = ""
            + "587       inet  n       -       n       -       -       smtpd \\\n"
            + "-o smtpd_enforce_tls=yes \\\n"
            + "-o smtpd_tls_req_ccert=yes \\\n"
            + "-o smtpd_recipient_restrictions= \\\n"
            + "  permit_mynetworks, \\\n"
            + "  permit_tls_all_clientcerts, \\\n"
            + "  reject\n";

    @Test
    void seedFilesWorkAsWritten() throws Exception {
        LoadedConfig lc = load(SEED_MAIN, SEED_MASTER);
        Config c = lc.config();
        assertEquals(1, c.services().size());
        MasterService s = c.services().get(0);
        assertEquals("587", s.name());
        assertEquals("master.cf:1", s.origin());
        assertEquals("permit_mynetworks, permit_tls_all_clientcerts, reject", s.overrides().get("smtpd_recipient_restrictions"));
        Config sc = c.forService(s);
        assertEquals(List.of("permit_mynetworks", "permit_tls_all_clientcerts", "reject"), sc.list("smtpd_recipient_restrictions"));
        assertEquals("encrypt", SmtpdTlsLevel.of(sc));
        assertTrue(sc.bool("smtpd_tls_req_ccert"));
        assertEquals("none", SmtpdTlsLevel.of(c), "main.cf alone does not enable TLS, as the seed says");
        assertTrue(lc.warnings().contains("main.cf:10: unknown parameter \"smtpd_tls_receivedheader\"; "
                + "did you mean \"smtpd_tls_received_header\"?"), lc.warnings().toString());
        // No compatibility_level in the seed: Postfix's legacy default leaves smtpd_relay_restrictions empty.
        assertEquals(List.of(), sc.list("smtpd_relay_restrictions"));
        assertEquals("md5", sc.get("smtpd_tls_fingerprint_digest"));
    }

    @Test
    void compatibilityLevelChangesDefaults() throws Exception {
        Config c = load("compatibility_level = 3.6\nsmtpd_recipient_restrictions = reject_unauth_destination\n", "").config();
        assertEquals(List.of("permit_mynetworks", "permit_sasl_authenticated", "defer_unauth_destination"),
                c.list("smtpd_relay_restrictions"));
        assertEquals("sha256", c.get("smtpd_tls_fingerprint_digest"));
        assertEquals("host", c.get("mynetworks_style"));
        assertEquals("", c.get("relay_domains"));
        assertEquals("", c.get("smtp_tls_security_level"), "Postfix < 3.11's default");
        Config c311 = load("compatibility_level = 3.11\nsmtpd_recipient_restrictions = reject_unauth_destination\n", "").config();
        assertEquals("may", c311.get("smtp_tls_security_level"), "Postfix 3.11: opportunistic TLS from compatibility_level 3.11");
    }

    @Test
    void expansionAndContinuationLines() throws Exception {
        Config c = load("myhostname = mx.example.org\nmydomain = example.org\n"
                + "smtpd_banner = $myhostname ESMTP ${mail_name}\n  (continued)\n"
                + "relay_domains = $mydomain, other.example\n", "").config();
        assertEquals("mx.example.org ESMTP Postern (continued)", c.get("smtpd_banner"));
        assertEquals(List.of("example.org", "other.example"), c.list("relay_domains"));
        assertEquals("example.org", c.get("mydomain"));
    }

    @Test
    void cyclesAreReportedWithTheirLine() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("myhostname = $mydomain\nmydomain = $myhostname\n", ""));
        assertTrue(e.getMessage().startsWith("main.cf:"), e.getMessage());
        assertTrue(e.getMessage().contains("refers to itself"), e.getMessage());
    }

    @Test
    void badValuesNameFileLineAndFix() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("\nsmtpd_timeout = soon\n", ""));
        assertEquals("main.cf:2: bad value for smtpd_timeout: \"soon\"; use a number with an optional unit s, m, h, d or w (default 300s; a bare number is in seconds)",
                e.getMessage());
        ConfigException e2 = assertThrows(ConfigException.class, () -> load("just words\n", ""));
        assertTrue(e2.getMessage().startsWith("main.cf:1: missing '='"), e2.getMessage());
    }

    @Test
    void openRelayIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("",
                "587 inet n - n - - smtpd -o smtpd_recipient_restrictions=permit\n"));
        assertTrue(e.getMessage().startsWith("master.cf:1: open relay"), e.getMessage());
        assertTrue(e.getMessage().contains("reject_unauth_destination"), e.getMessage());
    }

    @Test
    void enforceTlsOverriddenByMainCfLevelIsWarned() throws Exception {
        LoadedConfig lc = load("smtpd_tls_security_level = may\nsmtpd_tls_cert_file = /x.pem\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n",
                "587 inet n - n - - smtpd\n  -o smtpd_enforce_tls=yes\n");
        assertTrue(lc.warnings().stream().anyMatch(w -> w.startsWith("master.cf:1: -o smtpd_enforce_tls=yes has no effect: main.cf:1")),
                lc.warnings().toString());
    }

    /** Postfix treats an empty smtpd_tls_security_level as unset: -o smtpd_enforce_tls=yes still applies. */
    @Test
    void emptySecurityLevelLeavesEnforceTlsInForce() throws Exception {
        LoadedConfig lc = load("smtpd_tls_security_level =\nsmtpd_tls_cert_file = /x.pem\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n",
                "587 inet n - n - - smtpd\n  -o smtpd_enforce_tls=yes\n");
        Config c = lc.config();
        assertEquals("encrypt", SmtpdTlsLevel.of(c.forService(c.services().get(0))));
        assertTrue(lc.warnings().stream().noneMatch(w -> w.contains("has no effect")), lc.warnings().toString());
    }

    @Test
    void relayRestrictionsThatDeferCertificateHoldersAreWarned() throws Exception {
        LoadedConfig lc = load("compatibility_level = 3.6\nsmtpd_tls_cert_file = /x.pem\nsmtpd_tls_CAfile = /ca.pem\n", SEED_MASTER);
        assertTrue(lc.warnings().stream().anyMatch(w -> w.contains("smtpd_relay_restrictions") && w.contains("will refuse them")),
                lc.warnings().toString());
    }

    @Test
    void requiringCertificatesWithoutCaFileIsAnError() {
        ConfigException e = assertThrows(ConfigException.class, () -> load("smtpd_tls_cert_file = /x.pem\n", SEED_MASTER));
        assertTrue(e.getMessage().contains("smtpd_tls_CAfile is empty"), e.getMessage());
    }

    @Test
    void internalServicesAreAcceptedWithANote() throws Exception {
        LoadedConfig lc = load("smtpd_recipient_restrictions = reject_unauth_destination\n",
                "smtp inet n - y - - smtpd\npickup unix n - y 60 1 pickup\nqmgr unix n - n 300 1 qmgr\n"
                        + "tlsmgr unix - - y 1000? 1 tlsmgr\n");
        assertEquals(List.of("smtp", "pickup"), lc.config().services().stream().map(MasterService::name).toList(),
                "the pickup line is kept for its -o options; its columns need no note");
        assertEquals(List.of("master.cf:3: service 'qmgr' (qmgr) is built into Postern; line ignored",
                "master.cf:4: service 'tlsmgr' (tlsmgr) is built into Postern; line ignored"), lc.warnings());
    }

    /** Every line of a stock Postfix master.cf loads, each ignored one with exactly one note. */
    @Test
    void stockPostfixMasterCfLoadsWithOneNotePerIgnoredLine() throws Exception {
        String stock = """
                smtp      inet  n       -       y       -       1       postscreen
                smtpd     pass  -       -       y       -       -       smtpd
                dnsblog   unix  -       -       y       -       0       dnsblog
                tlsproxy  unix  -       -       y       -       0       tlsproxy
                submission inet n       -       y       -       -       smtpd
                  -o syslog_name=postfix/submission
                  -o smtpd_tls_security_level=encrypt
                pickup    unix  n       -       y       60      1       pickup
                cleanup   unix  n       -       y       -       0       cleanup
                qmgr      unix  n       -       n       300     1       qmgr
                tlsmgr    unix  -       -       y       1000?   1       tlsmgr
                rewrite   unix  -       -       y       -       -       trivial-rewrite
                bounce    unix  -       -       y       -       0       bounce
                defer     unix  -       -       y       -       0       bounce
                trace     unix  -       -       y       -       0       bounce
                verify    unix  -       -       y       -       1       verify
                flush     unix  n       -       y       1000?   0       flush
                proxymap  unix  -       -       n       -       -       proxymap
                proxywrite unix -       -       n       -       1       proxymap
                smtp      unix  -       -       y       -       -       smtp
                relay     unix  -       -       y       -       -       smtp
                  -o syslog_name=postfix/$service_name
                showq     unix  n       -       y       -       -       showq
                error     unix  -       -       y       -       -       error
                retry     unix  -       -       y       -       -       error
                discard   unix  -       -       y       -       -       discard
                local     unix  -       n       n       -       -       local
                virtual   unix  -       n       n       -       -       virtual
                lmtp      unix  -       -       y       -       -       lmtp
                anvil     unix  -       -       y       -       1       anvil
                scache    unix  -       -       y       -       1       scache
                postlog   unix-dgram n  -       n       -       1       postlogd
                maildrop  unix  -       n       n       -       -       pipe
                  flags=DRXhu user=vmail argv=/usr/bin/maildrop -d ${recipient}
                """;
        LoadedConfig lc = load("smtpd_recipient_restrictions = reject_unauth_destination\nsmtpd_tls_cert_file = /x.pem\n", stock);
        assertEquals(List.of("submission", "pickup", "cleanup", "smtp", "relay"),
                lc.config().services().stream().map(MasterService::name).toList(),
                "the pickup, cleanup, smtp and relay lines are honoured (relay's -o syslog_name=postfix/$service_name)");
        assertEquals("postfix/relay", lc.config().forService(lc.config().services().get(4)).get("syslog_name"));
        long ignoredLines = stock.lines().filter(l -> !l.startsWith(" ") && !l.startsWith("submission")
                && !l.matches("(smtp|relay) +unix .*") && !l.matches("(pickup|cleanup) +unix .*")).count();
        List<String> notes = lc.warnings().stream().filter(w -> w.endsWith("line ignored")).toList();
        assertEquals(ignoredLines, notes.size(), String.join("\n", lc.warnings()));
        assertTrue(notes.contains("master.cf:1: service 'smtp' (postscreen) is not supported; use an smtpd line; line ignored"), notes.toString());
        assertTrue(notes.contains("master.cf:2: smtpd of type pass (e.g. behind postscreen) is not supported, only inet; line ignored"),
                notes.toString());
        assertTrue(notes.contains("master.cf:33: service 'maildrop' (pipe) is not supported; line ignored"), notes.toString());
        assertTrue(notes.contains("master.cf:32: service 'postlog' (postlogd) is built into Postern; line ignored"), notes.toString());
        assertTrue(notes.stream().noneMatch(n -> n.contains("not a Postfix daemon")), notes.toString());
    }

    @Test
    void userDefinedParametersReferencedElsewhereAreNotWarned() throws Exception {
        LoadedConfig lc = load("my_relays = [relay.example]:587\nrelayhost = $my_relays\n", "");
        assertFalse(lc.warnings().stream().anyMatch(w -> w.contains("my_relays")), lc.warnings().toString());
        assertEquals("[relay.example]:587", lc.config().get("relayhost"));
    }

    /** smtpd.c: client-only levels run as encrypt with a warning; dane (and typos) are fatal. */
    @Test
    void serverTlsLevelsAsPostfixReadsThem() throws Exception {
        String rest = "smtpd_tls_cert_file = /x.pem\nsmtpd_recipient_restrictions = reject_unauth_destination\n";
        LoadedConfig lc = load("smtpd_tls_security_level = verify\n" + rest, "587 inet n - n - - smtpd\n");
        assertEquals(List.of("main.cf:1: smtpd_tls_security_level: unsupported TLS level \"verify\", using \"encrypt\""), lc.warnings());
        assertEquals("encrypt", SmtpdTlsLevel.of(lc.config()));
        ConfigException e = assertThrows(ConfigException.class, () -> load("smtpd_tls_security_level = dane\n" + rest, ""));
        assertEquals("main.cf:1: Invalid TLS level \"dane\" for smtpd_tls_security_level; use none, may or encrypt", e.getMessage());
        ConfigException o = assertThrows(ConfigException.class, () -> load(rest, "587 inet n - n - - smtpd -o smtpd_tls_security_level=encyrpt\n"));
        assertEquals("master.cf:1: Invalid TLS level \"encyrpt\" for smtpd_tls_security_level; use none, may or encrypt", o.getMessage());
    }

    private static final String PLAIN = "smtpd_recipient_restrictions = reject_unauth_destination\n";

    /**
     * Postfix reads main.cf as bytes: an old Latin-1 comment loads here too; a setting that is not
     * UTF-8 is an error at its line (master.cf alike), never "Input length = 1".
     */
    @Test
    void aLatin1CommentLoadsAndALatin1SettingIsNamedByItsLine() throws Exception {
        byte[] comment = "# \u00dcbersetzung der Einstellungen\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] rest = (PLAIN + "myhostname = mx.example\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Files.write(dir.resolve("main.cf"), concat(comment, rest));
        Files.writeString(dir.resolve("master.cf"), "# \u00e9t\u00e9\n");
        LoadedConfig lc = ConfigLoader.load(dir);
        assertEquals("mx.example", lc.config().get("myhostname"));

        byte[] banner = "smtpd_banner = $myhostname Gr\u00fc\u00dfe\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(dir.resolve("main.cf"), concat(rest, banner));
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertTrue(e.getMessage().startsWith("main.cf:3: this line is not UTF-8 text"), e.getMessage());
        assertTrue(e.getMessage().contains("save main.cf as UTF-8"), e.getMessage());

        Files.write(dir.resolve("main.cf"), concat(rest, "= value\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(dir));
        assertTrue(e.getMessage().startsWith("main.cf:3: no parameter name before '='"), e.getMessage());
    }

    /** master.cf: an -o { ... } without its '}' is an error at its line, as Postfix's master says "missing '}'". */
    @Test
    void anUnclosedBraceInMasterCfIsAnError() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load(PLAIN,
                "587 inet n - n - - smtpd\n  -o { smtpd_helo_required = yes\n"));
        assertTrue(e.getMessage().startsWith("master.cf:1: -o { smtpd_helo_required = yes: missing '}'"), e.getMessage());
        assertEquals("yes", load(PLAIN, "587 inet n - n - - smtpd\n  -o { smtpd_helo_required = yes }\n").config().services().get(0)
                .overrides().get("smtpd_helo_required"));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A Postfix parameter Postern lacks is named as such, not as a typo of some other parameter. */
    @Test
    void postfixParametersPosternLacksAreNotCalledTypos() throws Exception {
        LoadedConfig lc = load(PLAIN + "smtpd_tls_mandatory_ciphers = high\nsmtp_tls_recievedheader = yes\n", "");
        assertTrue(lc.warnings().contains("main.cf:2: parameter \"smtpd_tls_mandatory_ciphers\" is a Postfix parameter that"
                + " Postern does not implement; it has no effect"), lc.warnings().toString());
        assertTrue(lc.warnings().stream().anyMatch(w -> w.startsWith("main.cf:3: unknown parameter \"smtp_tls_recievedheader\"; did you mean")),
                lc.warnings().toString());
        LoadedConfig r = load(PLAIN + "smtpd_tls_mandatory_ciphers = high\nsmtp_tls_mandatory_ciphers = $smtpd_tls_mandatory_ciphers\n", "");
        assertEquals(List.of("main.cf:2: parameter \"smtpd_tls_mandatory_ciphers\" is a Postfix parameter that Postern does not"
                + " implement; its value is used only where $smtpd_tls_mandatory_ciphers refers to it"), r.warnings());
        LoadedConfig o = load(PLAIN, "587 inet n - n - - smtpd -o smtpd_tls_exclude_ciphers=aNULL\n");
        assertTrue(o.warnings().stream().anyMatch(w -> w.contains("\"smtpd_tls_exclude_ciphers\" is a Postfix parameter that Postern does not implement")),
                o.warnings().toString());
    }

    /**
     * The pre-2.2 name: Postfix's default ${smtpd_client_connection_limit_exceptions:$mynetworks} gives
     * an EMPTY list when it is set (mac_expand's ":"), so it never did what it says; Postern reads only
     * the new name and says the old one has no effect.
     */
    @Test
    void theOldNameOfTheLimitExceptionsIsReportedAsWithoutEffect() throws Exception {
        LoadedConfig lc = load(PLAIN + "mynetworks = 127.0.0.0/8\nsmtpd_client_connection_limit_exceptions = 192.0.2.0/24\n", "");
        assertEquals("127.0.0.0/8", lc.config().get("smtpd_client_event_limit_exceptions"));
        assertEquals(List.of("main.cf:3: parameter \"smtpd_client_connection_limit_exceptions\" is a Postfix parameter that"
                + " Postern does not implement; it has no effect"), lc.warnings());
    }

    /** qmgr.c: bounce_queue_lifetime above maximal_queue_lifetime is cut to it, with Postfix's warning. */
    @Test
    void bounceQueueLifetimeAboveTheMaximalIsAdjusted() throws Exception {
        LoadedConfig lc = load(PLAIN + "maximal_queue_lifetime = 1d\n", "");
        assertTrue(lc.warnings().contains("main.cf:2: bounce_queue_lifetime = 5d (default) is larger than maximal_queue_lifetime"
                + " = 1d (main.cf:2) - adjusting bounce_queue_lifetime"), lc.warnings().toString());
        dev.postern.qmgr.QmgrSettings q = dev.postern.qmgr.QmgrSettings.from(lc.config());
        assertEquals(java.time.Duration.ofDays(1), q.lifetime(true));
        assertEquals(java.time.Duration.ofDays(1), q.lifetime(false));
        assertTrue(load(PLAIN + "bounce_queue_lifetime = 1d\n", "").warnings().isEmpty());
    }

    /** Postfix lets minimal_backoff_time win over a smaller maximal_backoff_time; Postern does too, and says so. */
    @Test
    void minimalBackoffAboveTheMaximalWinsWithAWarning() throws Exception {
        LoadedConfig lc = load(PLAIN + "minimal_backoff_time = 2h\nmaximal_backoff_time = 1h\n", "");
        assertTrue(lc.warnings().contains("main.cf:2: minimal_backoff_time = 2h (main.cf:2) is more than maximal_backoff_time = 1h"
                + " (main.cf:3): every retry waits minimal_backoff_time, as in Postfix; make maximal_backoff_time at least"
                + " minimal_backoff_time"), lc.warnings().toString());
        dev.postern.qmgr.QmgrSettings q = dev.postern.qmgr.QmgrSettings.from(lc.config());
        assertEquals(java.time.Duration.ofHours(2), q.backoff(java.time.Duration.ofSeconds(10)));
        assertEquals(java.time.Duration.ofHours(2), q.backoff(java.time.Duration.ofDays(3)));
        dev.postern.qmgr.QmgrSettings normal = dev.postern.qmgr.QmgrSettings.from(load(PLAIN, "").config());
        assertEquals(java.time.Duration.ofSeconds(300), normal.backoff(java.time.Duration.ofSeconds(10)));
        assertEquals(java.time.Duration.ofSeconds(1000), normal.backoff(java.time.Duration.ofSeconds(1000)));
        assertEquals(java.time.Duration.ofSeconds(4000), normal.backoff(java.time.Duration.ofDays(3)));
    }

    /** mail_error.c's words: a typo is an error (Postfix: fatal); classes Postern sends no notice for are warned about. */
    @Test
    void notifyClassesAreCheckedWordByWord() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load(PLAIN + "notify_classes = bounce, 2bounces\n", ""));
        assertTrue(e.getMessage().startsWith("main.cf:2: bad value for notify_classes: \"bounce, 2bounces\""), e.getMessage());
        LoadedConfig lc = load(PLAIN + "notify_classes = bounce, policy, protocol, delay\n", "");
        assertEquals(List.of("main.cf:2: notify_classes: policy, protocol are not implemented; the postmaster gets no notice"
                + " for them (Postern sends bounce, 2bounce and delay notices)"), lc.warnings());
        assertTrue(load(PLAIN + "notify_classes = bounce, 2bounce, delay\n", "").warnings().isEmpty());
        assertTrue(load(PLAIN, "").warnings().isEmpty(), "the default (resource, software) is not set, so not warned about");
    }

    @Test
    void mynetworksStyleClassIsWarnedAbout() throws Exception {
        LoadedConfig lc = load(PLAIN + "mynetworks_style = class\n", "");
        assertEquals(List.of("main.cf:2: mynetworks_style = class is not implemented: Postern uses subnet (the networks of"
                + " this host's interfaces), not their whole class A, B or C networks"), lc.warnings());
        assertEquals(List.of(), load(PLAIN + "mynetworks_style = class\nmynetworks = 127.0.0.0/8\n", "").warnings(),
                "with mynetworks set the style is not used");
    }

    /** Nothing configurable is silently ignored: the client session cache is in memory, not in the table named. */
    @Test
    void theClientSessionCacheTableIsNamedInAWarning() throws Exception {
        LoadedConfig lc = load(PLAIN + "smtp_tls_session_cache_database = btree:${data_directory}/smtp_scache\n", "");
        assertEquals(List.of("main.cf:2: smtp_tls_session_cache_database = btree:/var/lib/postern/smtp_scache: Postern keeps"
                + " the SMTP client's TLS sessions in memory (each transport its own) for 3600s; the table is never opened, and"
                + " cached sessions are lost at restart and reload"), lc.warnings());
        assertEquals(List.of("main.cf:2: smtp_tls_session_cache_database = btree:/x: Postern keeps the SMTP client's TLS"
                + " sessions in memory (each transport its own) for 120s; the table is never opened, and cached sessions are lost"
                + " at restart and reload"), load(PLAIN + "smtp_tls_session_cache_database = btree:/x\n"
                + "smtp_tls_session_cache_timeout = 10\n", "").warnings(), "Postfix's two minutes at least");
        assertEquals(List.of("main.cf:2: smtp_tls_session_cache_database = btree:/x: smtp_tls_session_cache_timeout = 0 turns"
                + " the SMTP client's TLS session cache off, as in Postfix; the table is never opened"),
                load(PLAIN + "smtp_tls_session_cache_database = btree:/x\nsmtp_tls_session_cache_timeout = 0\n", "").warnings());
        assertEquals(List.of(), load(PLAIN + "smtp_tls_session_cache_database =\n", "").warnings(), "empty: Postfix's default");
        assertTrue(load(PLAIN, "isp unix - - n - - smtp -o smtp_tls_session_cache_database=lmdb:/y\n").warnings()
                .contains("master.cf:1: smtp_tls_session_cache_database = lmdb:/y: Postern keeps the SMTP client's TLS sessions"
                        + " in memory (each transport its own) for 3600s; the table is never opened, and cached sessions are lost"
                        + " at restart and reload"));
    }

    /** mail_params.c check_myhostname(): the kernel's name, with .$mydomain or .localdomain when it has no dot. */
    @Test
    void myhostnameDefaultsAsInPostfix() throws Exception {
        String kernel = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip().toLowerCase(java.util.Locale.ROOT);
        boolean dotted = kernel.contains(".");
        assertEquals(dotted ? kernel : kernel + ".localdomain", load(PLAIN, "").config().get("myhostname"));
        assertEquals(dotted ? kernel : kernel + ".example.org", load(PLAIN + "mydomain = example.org\n", "").config().get("myhostname"));
    }

    /** Postfix: fingerprints match without a trusted CA, so asking for certificates without one is allowed (warned). */
    @Test
    void askingForCertificatesWithoutCaFileIsAWarningNotAnError() throws Exception {
        LoadedConfig lc = load("smtpd_tls_cert_file = /x.pem\nsmtpd_tls_security_level = may\nsmtpd_tls_ask_ccert = yes\n"
                + "relay_clientcerts = hash:/etc/postfix/relay_clientcerts\n"
                + "smtpd_relay_restrictions = permit_tls_clientcerts, reject_unauth_destination\n", "587 inet n - n - - smtpd\n");
        assertEquals(List.of("master.cf:1: smtpd_tls_ask_ccert = yes but smtpd_tls_CAfile is empty: no client certificate can be"
                + " verified: permit_tls_all_clientcerts and permit_tls_clientcerts permit only the fingerprints in"
                + " relay_clientcerts, check_ccert_access matches by fingerprint, AUTH EXTERNAL is never offered"), lc.warnings());
    }
}

package dev.postern.config;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Parameter values as Postfix reads them: default units, bounds, errors at load naming file:line. */
class ParamValuesTest {
    @TempDir
    Path dir;

    /**
     * Every time parameter Postern has: Postfix's default (postconf(5), and `postconf -dx` when
     * Postfix is installed) and what the bare value "5" means, the unit coming from that default.
     */
    private record Time(String postfixDefault, Duration bareFive) {
    }

    private static final Map<String, Time> TIMES = new TreeMap<>(Map.ofEntries(
            Map.entry("anvil_rate_time_unit", new Time("60s", Duration.ofSeconds(5))),
            Map.entry("bounce_queue_lifetime", new Time("5d", Duration.ofDays(5))),
            Map.entry("delay_warning_time", new Time("0h", Duration.ofHours(5))),
            Map.entry("maximal_backoff_time", new Time("4000s", Duration.ofSeconds(5))),
            Map.entry("maximal_queue_lifetime", new Time("5d", Duration.ofDays(5))),
            Map.entry("minimal_backoff_time", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("queue_run_delay", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtp_connect_timeout", new Time("30s", Duration.ofSeconds(5))),
            Map.entry("smtp_connection_cache_time_limit", new Time("2s", Duration.ofSeconds(5))),
            Map.entry("smtp_connection_reuse_time_limit", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtp_data_done_timeout", new Time("600s", Duration.ofSeconds(5))),
            Map.entry("smtp_data_init_timeout", new Time("120s", Duration.ofSeconds(5))),
            Map.entry("smtp_data_xfer_timeout", new Time("180s", Duration.ofSeconds(5))),
            Map.entry("smtp_mail_timeout", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtp_rcpt_timeout", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtp_rset_timeout", new Time("20s", Duration.ofSeconds(5))),
            Map.entry("smtp_starttls_timeout", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtp_helo_timeout", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtp_tls_session_cache_timeout", new Time("3600s", Duration.ofSeconds(5))),
            Map.entry("smtpd_error_sleep_time", new Time("1s", Duration.ofSeconds(5))),
            Map.entry("smtpd_starttls_timeout", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtpd_timeout", new Time("300s", Duration.ofSeconds(5))),
            Map.entry("smtpd_upstream_proxy_timeout", new Time("5s", Duration.ofSeconds(5))),
            Map.entry("postern_smtpd_peername_lookup_timeout", new Time("10s", Duration.ofSeconds(5))),
            Map.entry("postern_smtpd_idle_eviction_time", new Time("1s", Duration.ofSeconds(5))),
            Map.entry("smtpd_tls_session_cache_timeout", new Time("3600s", Duration.ofSeconds(5)))));

    private Config load(String main, String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), master);
        return ConfigLoader.load(dir).config();
    }

    private String error(String main, String master) {
        return assertThrows(ConfigException.class, () -> load(main, master)).getMessage();
    }

    /** The table may run ahead of Params (parameters other branches add); it must cover every declared one. */
    @Test
    void theTableCoversEveryTimeParameter() {
        Set<String> missing = new TreeSet<>();
        Params.all().values().stream().filter(p -> p.type() == Param.Type.TIME && !TIMES.containsKey(p.name()))
                .forEach(p -> missing.add(p.name()));
        assertEquals(Set.of(), missing, "add the new time parameter to TIMES with Postfix's default (postconf -dxh NAME)");
    }

    private static Map<String, Time> declaredTimes() {
        Map<String, Time> m = new TreeMap<>(TIMES);
        m.keySet().retainAll(Params.all().keySet());
        return m;
    }

    @Test
    void defaultsAreTheOnesOfPostfix() throws Exception {
        Config defaults = load("", "");
        for (Map.Entry<String, Time> e : declaredTimes().entrySet()) {
            // Expanded as postconf -dx does (${stress?{10}:{300}}s is 300s when not under stress).
            assertEquals(e.getValue().postfixDefault(), defaults.get(e.getKey()), e.getKey());
        }
        Peers.require("/usr/sbin/postconf", "postfix");
        for (Map.Entry<String, Time> e : TIMES.entrySet()) {
            if (e.getKey().startsWith("postern_")) {
                continue; // Postern's own: postconf does not know it
            }
            Peers.Result r = Peers.run(Duration.ofSeconds(30), null, List.of("/usr/sbin/postconf", "-dxh", e.getKey()));
            assertEquals(e.getValue().postfixDefault(), r.out().strip(), "postconf -dxh " + e.getKey() + ": " + r.err());
        }
    }

    @Test
    void aBareNumberTakesTheUnitOfTheDefault() throws Exception {
        for (Map.Entry<String, Time> e : declaredTimes().entrySet()) {
            // minimal_backoff_time must stay below maximal_backoff_time (Postfix's bound): lower both.
            String main = e.getKey().equals("maximal_backoff_time") ? "minimal_backoff_time = 1\n" : "";
            Config c = load(main + e.getKey() + " = 5\n", "");
            assertEquals(e.getValue().bareFive(), c.duration(e.getKey()), e.getKey() + " = 5");
            Config d = load("", "");
            assertEquals(Values.duration(Params.get(e.getKey()), e.getValue().postfixDefault()), d.duration(e.getKey()));
        }
    }

    @Test
    void everyUnitIsAccepted() throws Exception {
        Config c = load("maximal_queue_lifetime = 2w\nbounce_queue_lifetime = 36h\nsmtpd_timeout = 5m\n"
                + "queue_run_delay = 90s\nmaximal_backoff_time = 1d\n", "");
        assertEquals(Duration.ofDays(14), c.duration("maximal_queue_lifetime"));
        assertEquals(Duration.ofHours(36), c.duration("bounce_queue_lifetime"));
        assertEquals(Duration.ofMinutes(5), c.duration("smtpd_timeout"));
        assertEquals(Duration.ofSeconds(90), c.duration("queue_run_delay"));
        assertEquals(Duration.ofDays(1), c.duration("maximal_backoff_time"));
    }

    @Test
    void aServiceOverrideIsReadWithTheSameUnit() throws Exception {
        Config c = load("smtpd_recipient_restrictions = reject_unauth_destination\n",
                "127.0.0.1:0 inet n - n - - smtpd -o smtpd_timeout=2\n");
        assertEquals(Duration.ofSeconds(2), c.forService(c.services().get(0)).duration("smtpd_timeout"));
    }

    @Test
    void timesOutsidePostfixBoundsAreErrorsAtLoad() {
        assertEquals("main.cf:2: bad value for maximal_queue_lifetime: \"101\" is more than 100d; use a time of at most 100d"
                + " (a bare number is in days)", error("# lifetimes\nmaximal_queue_lifetime = 101\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_timeout: \"0\" is less than 1s; use a time of at least 1s"
                + " (a bare number is in seconds)", error("smtpd_timeout = 0\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_tls_session_cache_timeout: \"15w\" is more than 100d; use a time of at"
                + " most 100d (a bare number is in seconds)", error("smtpd_tls_session_cache_timeout = 15w\n", ""));
        assertEquals("main.cf:1: bad value for maximal_queue_lifetime: \"5x\"; use a number with an optional unit s, m, h, d"
                + " or w (default 5d; a bare number is in days)", error("maximal_queue_lifetime = 5x\n", ""));
        assertEquals("main.cf:1: bad value for queue_run_delay: \"2000000000000000000w\"; use a number with an optional unit"
                + " s, m, h, d or w (default 300s; a bare number is in seconds)", error("queue_run_delay = 2000000000000000000w\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_timeout: \"-1\"; use a number with an optional unit s, m, h, d or w"
                + " (default 300s; a bare number is in seconds)", error("smtpd_timeout = -1\n", ""));
    }

    @Test
    void limitsAtPostfixBoundsAreAccepted() throws Exception {
        Config c = load("maximal_queue_lifetime = 100d\nsmtpd_error_sleep_time = 0\nbounce_queue_lifetime = 0\n"
                + "line_length_limit = 512\nsmtpd_client_connection_count_limit = 0\nsmtp_connect_timeout = 0\n", "");
        assertEquals(Duration.ofDays(100), c.duration("maximal_queue_lifetime"));
        assertEquals(Duration.ZERO, c.duration("smtpd_error_sleep_time"));
        assertEquals(512, c.integer("line_length_limit"));
    }

    @Test
    void numbersAndBooleansAreCheckedAtLoad() {
        assertEquals("main.cf:1: bad value for line_length_limit: \"511\" is less than 512; use a number of at least 512",
                error("line_length_limit = 511\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_recipient_limit: \"0\" is less than 1; use a number of at least 1",
                error("smtpd_recipient_limit = 0\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_client_connection_count_limit: \"-1\" is less than 0; use a number of at"
                + " least 0", error("smtpd_client_connection_count_limit = -1\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_hard_error_limit: \"99999999999\" is more than 2147483647; use a number"
                + " of at most 2147483647", error("smtpd_hard_error_limit = 99999999999\n", ""));
        assertEquals("main.cf:1: bad value for message_size_limit: \"10MB\"; use a number of bytes",
                error("message_size_limit = 10MB\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_tls_req_ccert: \"maybe\"; use yes or no", error("smtpd_tls_req_ccert = maybe\n", ""));
    }

    /** Words outside Postfix's name tables are errors, not a quiet fallback to some default. */
    @Test
    void enumeratedValuesAreCheckedAtLoad() throws Exception {
        assertEquals("main.cf:1: bad value for mynetworks_style: \"hots\"; use host, subnet or class",
                error("mynetworks_style = hots\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_tls_fingerprint_digest: \"sha-256\"; use md5, sha1, sha256, sha384 or sha512",
                error("smtpd_tls_fingerprint_digest = sha-256\n", ""));
        assertEquals("main.cf:1: bad value for inet_protocols: \"ipv4, ipv5\"; use all, ipv4 or ipv6",
                error("inet_protocols = ipv4, ipv5\n", ""));
        assertEquals("main.cf:1: bad value for smtpd_forbid_bare_newline: \"notes\"; use normalize, yes, note, reject or no",
                error("smtpd_forbid_bare_newline = notes\n", ""));
        assertEquals("main.cf:1: bad value for mynetworks_style: \"Host\"; use host, subnet or class",
                error("mynetworks_style = Host\n", ""));
        Config c = load("inet_protocols = ipv4, ipv6\nmynetworks_style = host\nsmtpd_tls_fingerprint_digest = sha512\n", "");
        // name_code words load in any case, as in Postfix (SmtpdSettings.bareNewlineMode lowercases, BareNewlineModeTest)
        assertEquals("Reject", load("smtpd_forbid_bare_newline = Reject\n", "").get("smtpd_forbid_bare_newline"));
        assertEquals(List.of("ipv4", "ipv6"), c.list("inet_protocols"));
    }

    @Test
    void badOverridesNameTheirMasterCfLine() {
        assertEquals("master.cf:2: bad value for smtpd_timeout: \"0\" is less than 1s; use a time of at least 1s"
                + " (a bare number is in seconds)", error("smtpd_recipient_restrictions = reject_unauth_destination\n",
                "# services\n127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_timeout=0\n"));
    }

    @Test
    void expandedValuesAreChecked() {
        assertEquals("main.cf:2: bad value for smtpd_timeout: \"0s\" is less than 1s; use a time of at least 1s"
                + " (a bare number is in seconds)", error("my_timeout = 0s\nsmtpd_timeout = $my_timeout\n", ""));
    }

    @Test
    void everyDefaultIsAValidValue() throws Exception {
        Config c = load("", "");
        for (Param p : Params.all().values()) {
            assertEquals(null, Values.check(p, c.get(p.name())), p.name() + " default");
        }
    }
}

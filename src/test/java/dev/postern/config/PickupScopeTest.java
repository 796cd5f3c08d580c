package dev.postern.config;

import dev.postern.pickup.PickupSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * master.cf's pickup line: its -o is honoured exactly for what pickup reads from its line's
 * configuration ({@link Params#perPickup}), checked against what {@link PickupSettings#from}
 * really reads; an unknown name is an error naming the line, anything else is warned about.
 */
class PickupScopeTest {
    private static final String MAIN = "smtpd_recipient_restrictions = reject_unauth_destination\n";
    private static final String SMTPD = "127.0.0.1:0 inet n - n - - smtpd\n";

    @TempDir
    Path dir;

    private LoadedConfig load(String master) throws Exception {
        Files.writeString(dir.resolve("main.cf"), MAIN);
        Files.writeString(dir.resolve("master.cf"), master);
        return ConfigLoader.load(dir);
    }

    /** A Config that records the names read through the pickup line's scope (what forService returns). */
    private static Config recordingLine(Config c, Set<String> lineNames) {
        return (Config) Proxy.newProxyInstance(Config.class.getClassLoader(), new Class<?>[]{Config.class}, (proxy, m, args) -> {
            try {
                if (m.getName().equals("forService")) {
                    Config sc = (Config) m.invoke(c, args);
                    return new ServiceScopeTest.Recording(sc, lineNames);
                }
                return m.invoke(c, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private Set<String> readFromTheLine() throws Exception {
        Config c = load(SMTPD + "pickup unix n - y 60 1 pickup\n  -o syslog_name=postfix/local -o content_filter=smtp:[127.0.0.1]:10024\n")
                .config();
        Set<String> read = new TreeSet<>();
        PickupSettings.from(recordingLine(c, read));
        Set<String> names = new TreeSet<>();
        ServiceScopeTest.addWithReferences(PickupSettings.configFor(c), read, names);
        return names;
    }

    @Test
    void perPickupIsWhatPickupReadsFromItsLine() throws Exception {
        Set<String> declared = new TreeSet<>();
        for (Param p : Params.all().values()) {
            if (p.status() == Param.Status.IMPLEMENTED && Params.perPickup(p.name())) {
                declared.add(p.name());
            }
        }
        Set<String> read = new TreeSet<>();
        readFromTheLine().stream().filter(Params::known).forEach(read::add);
        assertEquals(declared, read, "Params.PICKUP_SERVICE must list what PickupSettings reads from the pickup line");
    }

    @Test
    void theLinesContentFilterAndSyslogNameApply() throws Exception {
        LoadedConfig lc = load(SMTPD + "pickup    unix  n       -       y       60      1       pickup\n"
                + "  -o content_filter=smtp-amavis:[127.0.0.1]:10024\n  -o syslog_name=postfix/local\n");
        assertEquals(List.of(), lc.warnings(), "columns of the stock line need no note");
        PickupSettings s = PickupSettings.from(lc.config());
        assertEquals("smtp-amavis:[127.0.0.1]:10024", s.contentFilter());
        assertEquals("postfix/local", s.syslogName());
        PickupSettings plain = PickupSettings.from(load(SMTPD + "pickup fifo n - n 60 1 pickup\n").config());
        assertEquals("", plain.contentFilter());
        assertEquals("", plain.syslogName(), "main.cf's name: the server's log, as before");
    }

    @Test
    void aMisspeltNameOnThePickupLineIsAnErrorNamingTheLine() throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> load(SMTPD + "# local mail\n"
                + "pickup unix n - y 60 1 pickup\n  -o content_filer=smtp-amavis:[127.0.0.1]:10024\n"));
        assertTrue(e.getMessage().contains("master.cf:3"), e.getMessage());
        assertTrue(e.getMessage().contains("pickup: unknown parameter \"content_filer\""), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean \"content_filter\"?"), e.getMessage());
    }

    @Test
    void whatPickupDoesNotReadIsWarnedAbout() throws Exception {
        LoadedConfig lc = load(SMTPD + "pickup unix n - y 60 1 pickup -v\n  -o receive_override_options=no_address_mappings\n"
                + "  -o myhostname=other.example\n");
        // receive_override_options is read by pickup (no_header_body_checks): no warning for it
        assertEquals(List.of("master.cf:2: pickup: command arguments -v are ignored; only -o name=value options are applied",
                "master.cf:2: -o myhostname=other.example has no effect on the pickup line: pickup does not read myhostname"
                        + " (Postern reads it from main.cf or an smtpd line's -o)"), lc.warnings());
        assertEquals(lc.config().get("myhostname"), PickupSettings.from(lc.config()).myhostname());
    }

    @Test
    void twoPickupLinesAreAnError() {
        ConfigException e = assertThrows(ConfigException.class, () -> load(SMTPD + "pickup unix n - y 60 1 pickup\n"
                + "pickup2 fifo n - y 60 1 pickup -o content_filter=smtp:[127.0.0.1]:10024\n"));
        assertTrue(e.getMessage().contains("master.cf:3") && e.getMessage().contains("second pickup service (also at line 2)"),
                e.getMessage());
    }
}

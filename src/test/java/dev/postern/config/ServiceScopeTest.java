package dev.postern.config;

import dev.postern.smtpd.SmtpdSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A master.cf -o is honoured only for what smtpd reads from its service configuration; anything
 * else is warned about. {@link Params#perService} is checked against what smtpd really reads.
 */
class ServiceScopeTest {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{?\\(?([A-Za-z0-9_]+)");

    @TempDir
    Path dir;

    /** Delegates to a real Config and records every name read through it. */
    record Recording(Config c, Set<String> names) implements Config {
        private <T> T read(String n, T v) {
            names.add(n);
            return v;
        }

        @Override public String get(String n) { return read(n, c.get(n)); }
        @Override public String raw(String n) { return read(n, c.raw(n)); }
        @Override public boolean bool(String n) { return read(n, c.bool(n)); }
        @Override public int integer(String n) { return read(n, c.integer(n)); }
        @Override public long size(String n) { return read(n, c.size(n)); }
        @Override public Duration duration(String n) { return read(n, c.duration(n)); }
        @Override public List<String> list(String n) { return read(n, c.list(n)); }
        @Override public boolean isSet(String n) { return read(n, c.isSet(n)); }
        @Override public String origin(String n) { return read(n, c.origin(n)); }
        @Override public Path configDirectory() { return c.configDirectory(); }
        @Override public List<MasterService> services() { return c.services(); }
        @Override public Config forService(MasterService s) { return c.forService(s); }
        @Override public Config underStress() { return new Recording(c.underStress(), names); }
        @Override public Map<String, String> explicitValues() { return c.explicitValues(); }
    }

    /** What smtpd reads per service, over configurations that take every branch, with $name references. */
    private Set<String> readBySmtpd() throws Exception {
        Set<String> names = new TreeSet<>();
        for (String level : List.of("smtpd_tls_security_level = encrypt", "smtpd_tls_security_level = may",
                "smtpd_enforce_tls = no\nsmtpd_use_tls = yes", "smtpd_tls_wrappermode = yes")) {
            Files.writeString(dir.resolve("main.cf"), level + "\nsmtpd_tls_cert_file = /x.pem\nsmtpd_tls_CAfile = /ca.pem\n"
                    + "smtpd_recipient_restrictions = reject\nmynetworks = 127.0.0.0/8\n");
            Files.writeString(dir.resolve("master.cf"), "587 inet n - n - - smtpd\n");
            Config c = ConfigLoader.load(dir).config();
            Config sc = c.forService(c.services().get(0));
            Recording rec = new Recording(sc, new TreeSet<>());
            SmtpdSettings.from(rec, c, "smtpd"); // main.cf alone for what smtpd must not take from -o
            // server.Plan reads these two from the service configuration too.
            rec.list("inet_interfaces");
            rec.get("inet_protocols");
            addWithReferences(sc, rec.names(), names);
        }
        return names;
    }

    /** Adds {@code read} to {@code names} with every parameter their values refer to ($name, ${name}, $(name)), transitively. */
    static void addWithReferences(Config sc, Collection<String> read, Set<String> names) {
        Deque<String> todo = new ArrayDeque<>(read);
        while (!todo.isEmpty()) {
            String n = todo.pop();
            if (names.add(n)) {
                Matcher m = REFERENCE.matcher(sc.raw(n));
                while (m.find()) {
                    todo.push(m.group(1));
                }
            }
        }
    }

    @Test
    void everyParameterSmtpdReadsPerServiceIsDeclaredSo() throws Exception {
        Set<String> falselyWarned = new TreeSet<>();
        for (String n : readBySmtpd()) {
            if (Params.known(n) && !Params.perService(n)) {
                falselyWarned.add(n);
            }
        }
        assertEquals(Set.of(), falselyWarned, "smtpd honours -o for these: add them to Params.SMTPD_SERVICE");
    }

    @Test
    void everyImplementedPerServiceParameterIsReadPerService() throws Exception {
        Set<String> read = readBySmtpd();
        Set<String> silent = new TreeSet<>();
        for (Param p : Params.all().values()) {
            if (p.status() == Param.Status.IMPLEMENTED && Params.perService(p.name()) && !read.contains(p.name())) {
                silent.add(p.name());
            }
        }
        assertEquals(Set.of(), silent, "declared per service, but an -o for them would be ignored in silence: read them "
                + "through the service's Config in smtpd, or leave them out of Params.perService");
    }

    @Test
    void anOverrideOfAServerWideParameterIsWarned() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "smtpd_recipient_restrictions = reject_unauth_destination\n");
        Files.writeString(dir.resolve("master.cf"), "# services\n127.0.0.1:0 inet n - n - - smtpd\n"
                + "  -o syslog_name=postfix/submission -o relayhost=[isp.example]:587\n  -o smtpd_timeout=5 -o mynetworks=10.0.0.0/8\n");
        List<String> warnings = ConfigLoader.load(dir).warnings();
        assertEquals(List.of(
                "master.cf:2: -o syslog_name=postfix/submission has no effect: Postern reads syslog_name once for the whole"
                        + " server, from main.cf",
                "master.cf:2: -o relayhost=[isp.example]:587 has no effect: Postern reads relayhost once for the whole server,"
                        + " from main.cf"), warnings);
        assertTrue(Params.perService("smtpd_timeout"));
    }
}

package dev.postern.config;

import dev.postern.cli.Main;
import dev.postern.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No silent parameters: every declared parameter is either honoured by the code or warned about
 * when set. The claims are checked against the source tree and against a real config directory.
 */
class ParamStatusTest {
    private static final Path SOURCES = Path.of("src/main/java");
    private static final Path PARAMS = SOURCES.resolve("dev/postern/config/Params.java");
    private static final Pattern READ = Pattern.compile("(?<!pipeline\\(\\))\\.(?:get|bool|integer|size|duration|list|isSet|origin)\\(\"([a-z0-9_A-Z]+)\"\\)");
    private static final Pattern REFERENCE = Pattern.compile("\\$\\{?\\(?([A-Za-z0-9_]+)");

    @TempDir
    Path dir;

    /** All Java source outside Params.java, concatenated. */
    private static String codeOutsideParams() throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java") && !f.equals(PARAMS)).toList()) {
                sb.append(Files.readString(f, StandardCharsets.UTF_8)).append('\n');
            }
        }
        return sb.toString();
    }

    /** Names used as $name in the defaults of implemented parameters (compatibility_level, mydomain ...). */
    private static Set<String> referencedByImplementedDefaults() {
        Set<String> names = new TreeSet<>();
        for (Param p : Params.all().values()) {
            if (p.status() == Param.Status.IMPLEMENTED) {
                Matcher m = REFERENCE.matcher(p.defaultValue());
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    @Test
    void everyImplementedParameterIsReadByTheCode() throws Exception {
        String code = codeOutsideParams();
        Set<String> viaDefaults = referencedByImplementedDefaults();
        List<String> unread = new ArrayList<>();
        for (Param p : Params.all().values()) {
            if (p.status() == Param.Status.IMPLEMENTED && !code.contains("\"" + p.name() + "\"") && !viaDefaults.contains(p.name())
                    && !readPerTransport(code, p.name())) {
                unread.add(p.name());
            }
        }
        assertEquals(List.of(), unread, "marked implemented (p) but read nowhere in src/main/java: mark them n(...) "
                + "or make them work");
    }

    /** Postfix's per-transport parameters, read as {@code transport + "_destination_concurrency_limit"}. */
    private static boolean readPerTransport(String code, String name) {
        for (String transport : List.of("smtp", "relay", "lmtp", "local", "virtual", "error", "retry")) {
            if (name.startsWith(transport + "_") && code.contains("\"" + name.substring(transport.length()) + "\"")) {
                return true;
            }
        }
        return false;
    }

    @Test
    void builtInParametersSayHowAndAreNotRead() throws Exception {
        String code = codeOutsideParams();
        for (Param p : Params.all().values()) {
            if (p.status() == Param.Status.BUILT_IN) {
                assertTrue(p.doc().startsWith("Built in: "), p.name() + ": a built-in parameter's doc says how its purpose is met");
                assertTrue(!code.contains("\"" + p.name() + "\""), p.name() + " is read by the code: mark it implemented");
            }
        }
    }

    @Test
    void everyParameterTheCodeReadsIsDeclared() throws Exception {
        Matcher m = READ.matcher(codeOutsideParams());
        Set<String> undeclared = new TreeSet<>();
        while (m.find()) {
            if (!Params.known(m.group(1))) {
                undeclared.add(m.group(1));
            }
        }
        assertEquals(Set.of(), undeclared, "read by the code but missing from Params (it would always be \"\")");
    }

    /** A valid value other than the default, for setting a parameter in a test config. */
    private static String sample(Param p) {
        return switch (p.type()) {
            case BOOL -> Values.truth(p.defaultValue()) ? "no" : "yes";
            case INT -> String.valueOf(Math.max(7, p.min() == null ? 7 : p.min()));
            case SIZE -> "123456";
            case TIME -> "17s";
            default -> "sample.example";
        };
    }

    private static List<Param> withStatus(Param.Status s) {
        return Params.all().values().stream().filter(p -> p.status() == s).toList();
    }

    @Test
    void everyUnimplementedParameterIsWarnedAboutWhenSetInMainCf() throws Exception {
        List<Param> unimplemented = withStatus(Param.Status.NOT_IMPLEMENTED);
        assertTrue(!unimplemented.isEmpty(), "the audit found some; the test must see them");
        StringBuilder main = new StringBuilder("# test\nsmtpd_recipient_restrictions = reject_unauth_destination\n");
        for (Param p : unimplemented) {
            main.append(p.name()).append(" = ").append(sample(p)).append('\n');
        }
        Files.writeString(dir.resolve("main.cf"), main);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        List<String> warnings = ConfigLoader.load(dir).warnings();
        for (int i = 0; i < unimplemented.size(); i++) {
            String expected = "main.cf:" + (i + 3) + ": parameter \"" + unimplemented.get(i).name() + "\" is not implemented; it has no effect";
            assertTrue(warnings.contains(expected), expected + " in " + warnings);
        }
        assertEquals(unimplemented.size(), warnings.size(), String.join("\n", warnings));
    }

    @Test
    void everyUnimplementedParameterIsWarnedAboutWhenSetWithMasterCfOption() throws Exception {
        List<Param> unimplemented = withStatus(Param.Status.NOT_IMPLEMENTED);
        Files.writeString(dir.resolve("main.cf"), "smtpd_recipient_restrictions = reject_unauth_destination\n");
        String options = unimplemented.stream().map(p -> "  -o " + p.name() + "=" + sample(p)).collect(Collectors.joining("\n"));
        Files.writeString(dir.resolve("master.cf"), "# services\n127.0.0.1:0 inet n - n - - smtpd\n" + options + "\n");
        List<String> warnings = ConfigLoader.load(dir).warnings();
        for (Param p : unimplemented) {
            String expected = "master.cf:2: parameter \"" + p.name() + "\" is not implemented; it has no effect";
            assertTrue(warnings.contains(expected), expected + " in " + warnings);
        }
    }

    @Test
    void fixedParametersAreWarnedAboutOnlyForAnotherValue() throws Exception {
        List<Param> fixed = withStatus(Param.Status.FIXED);
        assertTrue(!fixed.isEmpty());
        for (Param p : fixed) {
            assertEquals(p.onlyValue(), p.defaultValue(), p.name() + ": the default must be what Postern does");
            Files.writeString(dir.resolve("master.cf"), "");
            Files.writeString(dir.resolve("main.cf"), p.name() + " = " + p.onlyValue() + "\n");
            assertEquals(List.of(), ConfigLoader.load(dir).warnings(), p.name());
            String other = p.type() == Param.Type.BOOL ? (Values.truth(p.onlyValue()) ? "no" : "yes") : "other";
            Files.writeString(dir.resolve("main.cf"), "\n" + p.name() + " = " + other + "\n");
            assertEquals(List.of("main.cf:2: parameter \"" + p.name() + "\" = \"" + other + "\" is not implemented; it has no effect"
                    + " (Postern always works as " + p.name() + " = " + p.onlyValue() + ")"), ConfigLoader.load(dir).warnings());
        }
    }

    @Test
    void implementedAndBuiltInParametersAreNotWarnedAbout() throws Exception {
        Files.writeString(dir.resolve("master.cf"), "");
        Files.writeString(dir.resolve("main.cf"), "smtpd_tls_session_cache_database = sdbm:/etc/postfix/smtpd_scache\n"
                + "data_directory = " + dir + "\nsmtpd_timeout = 60\nmaximal_queue_lifetime = 2d\nbounce_queue_lifetime = 2d\n");
        assertEquals(List.of(), ConfigLoader.load(dir).warnings());
    }

    /** The same warning reaches the user through `postern check` (start logs the same Plan warnings). */
    @Test
    void checkPrintsTheWarning() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "smtpd_recipient_restrictions = reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\nsmtpd_tls_CApath = /etc/ssl/certs\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "-c", dir.toString(), "check");
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("postern: warning: main.cf:3: parameter \"smtpd_tls_CApath\" is not implemented; it has no effect"),
                err.toString());
        assertTrue(out.toString().contains("1 warning)"), out.toString());
    }

    /** start logs the same warning in the mail log, as Postfix's master logs its warnings. */
    @Test
    void startLogsTheWarning() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "smtpd_recipient_restrictions = reject_unauth_destination\n"
                + "queue_directory = " + dir.resolve("queue") + "\n  # comment\nsmtpd_tls_CApath = /etc/ssl/certs\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (Server server = Server.start(Server.plan(dir), log)) {
            String expected = "warning: main.cf:4: parameter \"smtpd_tls_CApath\" is not implemented; it has no effect";
            Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
            while (!log.toString(StandardCharsets.UTF_8).contains(expected) && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            assertTrue(log.toString(StandardCharsets.UTF_8).contains(expected), log.toString(StandardCharsets.UTF_8));
        }
    }
}

package dev.postern.cli;

import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Debian maintainer scripts and the release launcher agree with the CLI: the Postfix command
 * names postinst offers as alternatives are install-links' names, at Postfix's own paths, and the
 * launcher dispatches each of them. (.ci/deb-smoke installs the real package.)
 */
class PackagingFilesTest {
    static final Path CONTROL = Path.of("src/deb/control");
    static final Path LAUNCHER = Path.of("src/dist/bin/postern");

    @Test
    void maintainerScriptsAreValidShell() throws Exception {
        for (String script : List.of("postinst", "prerm", "postrm")) {
            Path f = CONTROL.resolve(script);
            assertTrue(Files.isExecutable(f), script + " must be executable");
            Peers.Result r = Peers.run(Duration.ofSeconds(30), null, List.of("sh", "-n", f.toString()));
            assertEquals(0, r.exit(), script + ": " + r.err());
        }
    }

    @Test
    void alternativesAreInstallLinksNamesAtPostfixsPaths() throws Exception {
        String postinst = Files.readString(CONTROL.resolve("postinst"));
        Matcher m = Pattern.compile("(?m)^(\\w+) (/usr/s?bin/\\w+)$").matcher(postinst);
        List<String> names = new ArrayList<>();
        List<Path> links = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
            links.add(Path.of(m.group(2)));
            assertEquals(m.group(1), Path.of(m.group(2)).getFileName().toString());
        }
        assertEquals(InstallLinksCommand.NAMES, names);
        String prerm = Files.readString(CONTROL.resolve("prerm"));
        assertTrue(prerm.contains("for name in " + String.join(" ", InstallLinksCommand.NAMES) + "; do"), prerm);
        String launcher = Files.readString(LAUNCHER);
        for (String name : names) {
            assertTrue(launcher.contains("\n  " + name + ")"), "the release launcher does not act as " + name);
        }
        assertFalse(launcher.contains("mvn"), "a release launcher never builds");
        // The paths are Postfix's own: with Debian's postfix installed, each exists.
        Peers.require("/usr/sbin/postfix", "postfix");
        for (Path link : links) {
            assertTrue(Files.exists(link), link + " is not where Debian's Postfix puts it");
        }
    }

    /**
     * The daemon gets the daemon's JVM options (C2, native heap trimmed), every other command C1's
     * (faster start), whatever global options come before the verb; POSTERN_JAVA_OPTS replaces
     * both; the development launcher and the bench scripts use the same lines. The release launcher
     * runs for real, with a stand-in java that prints what it was given. The bench scripts give
     * the load generator the command options, as a user running {@code postern bench} gets.
     */
    @Test
    void launcherChoosesJvmOptionsByVerb(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String release = Files.readString(LAUNCHER);
        String dev = Files.readString(Path.of("bin/postern"));
        Matcher cli = Pattern.compile("(?m)^cli_opts=\"(.*)\"$").matcher(release);
        Matcher daemon = Pattern.compile("(?m)^daemon_opts=\"(.*)\"$").matcher(release);
        assertTrue(cli.find() && daemon.find(), "cli_opts/daemon_opts lines in " + LAUNCHER);
        assertTrue(dev.contains("\ncli_opts=\"" + cli.group(1) + "\"\n"), "bin/postern's cli_opts differ");
        assertTrue(dev.contains("\ndaemon_opts=\"" + daemon.group(1) + "\"\n"), "bin/postern's daemon_opts differ");
        String lib = Files.readString(Path.of("bench/lib.sh"));
        assertTrue(lib.contains("s/^daemon_opts="), "bench/lib.sh reads daemon_opts");
        assertTrue(lib.contains("s/^cli_opts="), "bench/lib.sh reads cli_opts (for the load generator)");

        Files.createDirectories(dir.resolve("bin"));
        Files.createDirectories(dir.resolve("lib"));
        Files.createDirectories(dir.resolve("jdk/bin"));
        Files.copy(LAUNCHER, dir.resolve("bin/postern"));
        Files.writeString(dir.resolve("lib/postern.jar"), "");
        Path java = dir.resolve("jdk/bin/java");
        Files.writeString(java, "#!/bin/sh\necho \"opts=$POSTERN_JAVA_OPTS\"\n");
        java.toFile().setExecutable(true);
        java.util.function.BiFunction<String, List<String>, String> run = (override, args) -> {
            try {
                List<String> cmd = new ArrayList<>(List.of("env", "-u", "POSTERN_JAVA_OPTS", "JAVA_HOME=" + dir.resolve("jdk")));
                if (override != null) {
                    cmd.add("POSTERN_JAVA_OPTS=" + override);
                }
                cmd.add("bash");
                cmd.add(dir.resolve("bin/postern").toString());
                cmd.addAll(args);
                Peers.Result r = Peers.run(Duration.ofSeconds(30), null, cmd);
                assertEquals(0, r.exit(), r.err());
                return r.out().trim();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        };
        assertEquals("opts=" + daemon.group(1), run.apply(null, List.of("start-fg")));
        assertEquals("opts=" + daemon.group(1), run.apply(null, List.of("-c", "/etc/postern", "start")));
        assertEquals("opts=" + daemon.group(1), run.apply(null, List.of("--config", "start", "start-fg")));
        assertEquals("opts=" + cli.group(1), run.apply(null, List.of("-c", "start-fg", "queue")));
        assertEquals("opts=" + cli.group(1), run.apply(null, List.of("sendmail", "-t", "start")));
        assertEquals("opts=" + cli.group(1), run.apply(null, List.of()));
        assertEquals("opts=-Xmx64m", run.apply("-Xmx64m", List.of("start-fg")));
        assertTrue(daemon.group(1).contains("-XX:-TieredCompilation") && cli.group(1).contains("-XX:TieredStopAtLevel=1"));
    }
}

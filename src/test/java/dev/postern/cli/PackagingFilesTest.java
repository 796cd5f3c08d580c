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
}

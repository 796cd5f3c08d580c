package dev.postern.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern -V}: the version and the commit this build came from (filled in by Maven). */
class VersionTest {
    @Test
    void versionNamesTheBuildCommit() throws Exception {
        StringWriter out = new StringWriter();
        assertEquals(0, Main.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "-V"));
        String line = out.toString().trim();
        assertTrue(line.matches("postern \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)"), line);
        // Built from a git checkout (as the test suite is): the commit must be this checkout's HEAD.
        if (Files.exists(Path.of(".git"))) {
            Process git = new ProcessBuilder("git", "--git-dir=.git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
            String head = new String(git.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            assertTrue(git.waitFor(30, TimeUnit.SECONDS));
            if (git.exitValue() == 0) {
                assertTrue(line.contains("(commit " + head), line + " / HEAD " + head);
            }
        }
    }
}

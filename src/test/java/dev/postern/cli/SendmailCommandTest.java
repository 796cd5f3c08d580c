package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code postern sendmail}'s configuration errors: exit 75 (EX_TEMPFAIL) with one line in every
 * mode, as Postfix's sendmail (the caller keeps the mail and retries); -bp and -q run the queue
 * verb, whose usage and exit 2 a sendmail caller must not see.
 */
class SendmailCommandTest {
    @TempDir
    Path dir;


    private static void assertTempfail(CliRun r, String expected) {
        assertEquals(SendmailCommand.EX_TEMPFAIL, r.status(), r.out() + r.err());
        assertTrue(r.err().startsWith("sendmail: fatal: ") && r.err().contains(expected), r.err());
        assertFalse(r.err().contains("Usage:"), "no usage of another verb: " + r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void queueModesWithAMissingConfigurationDirectoryExit75() {
        String missing = dir.resolve("nonexistent").toString();
        assertTempfail(CliRun.of("sendmail", "-C", missing, "-bp"), "configuration directory " + missing + " does not exist");
        assertTempfail(CliRun.of("sendmail", "-C", missing, "-q"), "configuration directory " + missing + " does not exist");
        assertTempfail(CliRun.of("-c", missing, "sendmail", "-bp"), "configuration directory " + missing + " does not exist");
    }

    @Test
    void queueModesWithABrokenMainCfExit75AtItsLine() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "no equals sign here\n");
        assertTempfail(CliRun.of("sendmail", "-C", dir.toString(), "-bp"), "main.cf:1: ");
    }

    @Test
    void queueListingStillWorksWithAGoodConfiguration() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "queue_directory = " + dir.resolve("queue") + "\n");
        CliRun r = CliRun.of("sendmail", "-C", dir.toString(), "-bp");
        assertEquals(0, r.status(), r.err());
        assertEquals("Mail queue is empty\n", r.out());
    }
}

package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --config DIR} is {@code -c DIR}'s long form, as the launcher bin/postern assumes when it finds the verb. */
class ConfigOptionTest {
    @TempDir
    Path dir;


    @Test
    void longFormIsAcceptedBeforeAndAfterTheVerbLikeC() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.example\n");
        String d = dir.toString();
        CliRun shortForm = CliRun.of("-c", d, "conf", "-n");
        assertEquals(0, shortForm.status(), shortForm.err());
        assertEquals("myhostname = mx.example\n", shortForm.out());
        for (String[] args : new String[][] {{"--config", d, "conf", "-n"}, {"conf", "--config", d, "-n"},
                {"--config=" + d, "conf", "-n"}}) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.status(), String.join(" ", args) + ": " + r.err());
            assertEquals(shortForm.out(), r.out(), String.join(" ", args));
        }
    }

    @Test
    void longFormNamesAMissingDirectoryAsCDoes() {
        String missing = dir.resolve("nonexistent").toString();
        CliRun r = CliRun.of("--config", missing, "status");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("configuration directory " + missing + " does not exist"), r.err());
        CliRun sendmail = CliRun.of("sendmail", "--config", missing, "-bp");
        assertEquals(SendmailCommand.EX_TEMPFAIL, sendmail.status(), sendmail.err());
        assertTrue(sendmail.err().contains("configuration directory " + missing + " does not exist"), sendmail.err());
    }
}

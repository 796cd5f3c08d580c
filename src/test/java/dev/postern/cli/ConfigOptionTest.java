package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --config DIR} is {@code -c DIR}'s long form, as the launcher bin/postern assumes when it finds the verb. */
class ConfigOptionTest {
    @TempDir
    Path dir;

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void longFormIsAcceptedBeforeAndAfterTheVerbLikeC() throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.example\n");
        String d = dir.toString();
        Run shortForm = run("-c", d, "conf", "-n");
        assertEquals(0, shortForm.status(), shortForm.err());
        assertEquals("myhostname = mx.example\n", shortForm.out());
        for (String[] args : new String[][] {{"--config", d, "conf", "-n"}, {"conf", "--config", d, "-n"},
                {"--config=" + d, "conf", "-n"}}) {
            Run r = run(args);
            assertEquals(0, r.status(), String.join(" ", args) + ": " + r.err());
            assertEquals(shortForm.out(), r.out(), String.join(" ", args));
        }
    }

    @Test
    void longFormNamesAMissingDirectoryAsCDoes() {
        String missing = dir.resolve("nonexistent").toString();
        Run r = run("--config", missing, "status");
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("configuration directory " + missing + " does not exist"), r.err());
        Run sendmail = run("sendmail", "--config", missing, "-bp");
        assertEquals(SendmailCommand.EX_TEMPFAIL, sendmail.status(), sendmail.err());
        assertTrue(sendmail.err().contains("configuration directory " + missing + " does not exist"), sendmail.err());
    }
}

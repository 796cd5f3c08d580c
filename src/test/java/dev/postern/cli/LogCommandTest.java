package dev.postern.cli;

import dev.postern.server.Server;
import dev.postern.testing.Peers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code postern log rotate} against a running daemon, as {@code postfix logrotate}. */
class LogCommandTest {

    private static void config(Path dir, String extra) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n"
                + "maillog_file = " + dir.resolve("log/maillog") + "\n" + extra);
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
    }

    @Test
    void rotatesTheRunningDaemonsLogAndGzipsTheOldOne(@TempDir Path dir) throws Exception {
        Peers.require("gzip", "gzip");
        config(dir, "");
        Path log = dir.resolve("log/maillog");
        try (Server server = Server.start(Server.plan(dir), null)) {
            awaitLine(log, "daemon started");
            CliRun r = CliRun.of("-c", dir.toString(), "log", "rotate");
            assertEquals(0, r.status(), r.err());
            Path gz;
            try (Stream<Path> files = Files.list(dir.resolve("log"))) {
                gz = files.filter(p -> p.getFileName().toString().matches("maillog\\.\\d{8}-\\d{6}\\.gz")).findFirst().orElseThrow();
            }
            assertEquals("postern: rotated " + log + " to " + gz + "\n", r.out());
            try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("daemon started"));
            }
            // The daemon goes on in a new file at the configured name.
            assertTrue(Files.exists(log), "reopened before rotate returned");
            try (dev.postern.testing.SmtpTestClient c = new dev.postern.testing.SmtpTestClient(server.addresses().get(0))) {
                assertTrue(c.reply().startsWith("220"));
            }
            awaitLine(log, "connect from localhost[127.0.0.1]");
        }
    }

    /** The daemon's log is written by its own thread: wait for the line. */
    private static void awaitLine(Path log, String text) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!Files.exists(log) || !Files.readString(log).contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in " + log);
            Thread.sleep(20);
        }
    }

    @Test
    void failuresSayWhatToDo(@TempDir Path dir) throws Exception {
        config(dir, "maillog_file_rotate_suffix = %Y%q\n");
        Files.createDirectories(dir.resolve("log"));
        Files.writeString(dir.resolve("log/maillog"), "x\n");
        CliRun r = CliRun.of("-c", dir.toString(), "log", "rotate");
        assertEquals(1, r.status());
        assertEquals(List.of("postern: fatal: logfile '" + dir.resolve("log/maillog") + "' rotation failed: "
                + "maillog_file_rotate_suffix = %Y%q: %q is not supported (use %Y %y %m %d %H %M %S %j %s %F %%)"), r.err().lines().toList());
        assertTrue(Files.exists(dir.resolve("log/maillog")), "nothing renamed");

        Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")).replace("maillog_file = ", "#"));
        r = CliRun.of("-c", dir.toString(), "log", "rotate");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("maillog_file is empty"), r.err());
        assertFalse(r.out().contains("rotated"));
    }
}

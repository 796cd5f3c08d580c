package dev.postern.server;

import dev.postern.testing.SyslogReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which runs log to syslog, as Postfix 3.7 with an empty maillog_file: the background daemon
 * ({@code postern start}) and start-fg under systemd (stdout is the journal, JOURNAL_STREAM names
 * it); start-fg on a terminal or in a container keeps stdout. Real processes, real socket.
 */
class DaemonSyslogTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static void config(Path dir, Path socket) throws Exception {
        Files.writeString(dir.resolve("main.cf"), "myhostname = mx.postern.test\n"
                + "queue_directory = " + dir.resolve("queue") + "\n"
                + "smtpd_recipient_restrictions = reject_unauth_destination\n"
                + "postern_syslog_socket = " + socket + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n");
    }

    @Test
    void backgroundDaemonLogsToSyslog(@TempDir Path dir) throws Exception {
        try (SyslogReceiver rsyslog = SyslogReceiver.bind(dir.resolve("log"))) {
            config(dir, rsyslog.path());
            LocalCommand.Result start = LocalCommand.run(LocalCommand.postern("-c", dir.toString(), "start"), null, Map.of());
            try {
                assertEquals(0, start.exit(), start.out() + start.err());
                String started = rsyslog.await("^<22>[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d postern/master\\[\\d+\\]: daemon started", WAIT);
                assertFalse(started.contains("[" + ProcessHandle.current().pid() + "]"), "logged by the daemon process: " + started);
            } finally {
                LocalCommand.Result stop = LocalCommand.run(LocalCommand.postern("-c", dir.toString(), "stop"), null, Map.of());
                assertEquals(0, stop.exit(), stop.out() + stop.err());
            }
            rsyslog.await("postern/master\\[\\d+\\]: terminating on signal 15", WAIT);
        }
    }

    /** systemd's JOURNAL_STREAM is honoured only when it names this process's stdout (not one inherited from a parent). */
    @Test
    void startFgLogsToSyslogWhenStdoutIsTheJournal(@TempDir Path dir) throws Exception {
        try (SyslogReceiver rsyslog = SyslogReceiver.bind(dir.resolve("log"))) {
            config(dir, rsyslog.path());
            Path journal = dir.resolve("journal");
            Files.createFile(journal);
            String stream = Files.getAttribute(journal, "unix:dev") + ":" + Files.getAttribute(journal, "unix:ino");

            Process p = startFg(dir, journal, stream);
            try {
                rsyslog.await("postern/master\\[" + p.pid() + "\\]: daemon started", WAIT);
            } finally {
                stop(p);
            }
            assertFalse(Files.readString(journal).contains("daemon started"), Files.readString(journal));

            Path terminal = dir.resolve("terminal");
            Files.createFile(terminal);
            p = startFg(dir, terminal, stream); // the variable names another file: inherited, not ours
            String tag = "[" + p.pid() + "]";
            try {
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (!Files.readString(terminal).contains("postern/master[" + p.pid() + "]: daemon started")) {
                    assertTrue(System.nanoTime() < deadline, "no log on stdout: " + Files.readString(terminal));
                    Thread.sleep(50);
                }
            } finally {
                stop(p);
            }
            assertTrue(rsyslog.messages().stream().noneMatch(m -> m.contains(tag)), "stdout run wrote to syslog");
        }
    }

    private static Process startFg(Path dir, Path stdout, String journalStream) throws Exception {
        List<String> cmd = new ArrayList<>(LocalCommand.postern("-c", dir.toString(), "start-fg"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("stderr").toFile()));
        pb.environment().put("JOURNAL_STREAM", journalStream);
        return pb.start();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: graceful stop, as systemd's
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}

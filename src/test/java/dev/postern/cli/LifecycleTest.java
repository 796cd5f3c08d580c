package dev.postern.cli;

import dev.postern.server.SignalMask;
import dev.postern.testing.ReservedPort;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** start / status / check / conf / stop as a user runs them, with a real background process. */
class LifecycleTest {
    @TempDir
    Path dir;
    @AutoClose
    private final ReservedPort reservedPort = ReservedPort.reserve();

    private record Run(int code, String out, String err) {
    }

    private Run postern(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    private void writeConfig(int port) throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Files.writeString(dir.resolve("main.cf"), "smtpd_tls_cert_file = " + pki.serverCertFile() + "\n"
                + "smtpd_tls_key_file = " + pki.serverKeyFile() + "\nsmtpd_tls_CAfile = " + pki.caFile() + "\n"
                + "smtpd_tls_receivedheader = yes\n"
                + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:" + port + " inet n - n - - smtpd\n"
                + "  -o smtpd_enforce_tls=yes -o smtpd_tls_req_ccert=yes\n"
                + "  -o smtpd_recipient_restrictions=permit_mynetworks,permit_tls_all_clientcerts,reject\n");
    }

    @Test
    void startStatusStop() throws Exception {
        int port = reservedPort.port();
        writeConfig(port);
        Run check = postern("-c", dir.toString(), "check");
        assertEquals(0, check.code(), check.err());
        assertTrue(check.err().contains("did you mean \"smtpd_tls_received_header\"?"), check.err());
        Run conf = postern("conf", "-n", "-c", dir.toString());
        assertEquals(0, conf.code(), conf.err());
        assertTrue(conf.out().contains("smtpd_tls_CAfile = " + dir.resolve("pki").resolve("CAcert.pem")), conf.out());
        Run start = postern("-c", dir.toString(), "start");
        assertEquals(0, start.code(), start.out() + start.err());
        try (Socket s = new Socket("127.0.0.1", port)) {
            assertTrue(s.isConnected(), "listening when start returns");
        }
        assertEquals(0, postern("status", "-c", dir.toString()).code());
        Run again = postern("-c", dir.toString(), "start");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("already running"), again.err());
        // An edit that breaks the configuration while it runs: status and stop still work, reload
        // refuses and keeps the running daemon.
        String good = Files.readString(dir.resolve("main.cf"));
        Files.writeString(dir.resolve("main.cf"), good + "smtpd_timeout = soon\n");
        Run broken = postern("-c", dir.toString(), "reload");
        assertEquals(1, broken.code(), broken.out());
        assertTrue(broken.err().contains("new configuration refused, still running the old one: main.cf:"), broken.err());
        assertEquals(0, postern("status", "-c", dir.toString()).code(), "status with a broken main.cf");
        Run stop = postern("-c", dir.toString(), "stop");
        assertEquals(0, stop.code(), stop.err());
        assertEquals(1, postern("-c", dir.toString(), "status").code());
        assertTrue(Files.readString(dir.resolve("maillog")).contains("terminating on signal 15"));
    }

    /**
     * master.pid is judged by its lock: a start right after kill -9 works at once (Postfix's
     * behaviour; the pid judged alone said "already running" while the dead process lingered),
     * and a live but unrelated pid in a stale file fools neither status nor stop.
     */
    @Test
    void startRightAfterKillMinus9AndARecycledPidFoolsNobody() throws Exception {
        int port = reservedPort.port();
        writeConfig(port);
        assertEquals(0, postern("-c", dir.toString(), "start").code());
        try {
            long pid = daemonPid();
            ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
            daemon.destroyForcibly(); // SIGKILL: no shutdown hook, the pid file stays behind
            daemon.onExit().get(30, TimeUnit.SECONDS);
            assertTrue(Files.readString(dir.resolve("queue/pid/master.pid")).contains(Long.toString(pid)), "stale pid file left");
            assertEquals(1, postern("-c", dir.toString(), "status").code(), "a dead process holds no lock");
            Run again = postern("-c", dir.toString(), "start");
            assertEquals(0, again.code(), "start right after kill -9: " + again.err());
            try (Socket s = new Socket("127.0.0.1", port)) {
                assertTrue(s.isConnected());
            }
        } finally {
            assertEquals(0, postern("-c", dir.toString(), "stop").code());
        }
        // A stale file naming a live process that is not Postern (this test's JVM): not running, not killed.
        Files.writeString(dir.resolve("queue/pid/master.pid"), ProcessHandle.current().pid() + "\n");
        Run status = postern("-c", dir.toString(), "status");
        assertEquals(1, status.code(), status.out());
        assertEquals(1, postern("-c", dir.toString(), "stop").code(), "nothing to stop");
        assertTrue(ProcessHandle.current().isAlive());
    }

    /** This test's JVM running postern's Main with SIGHUP ignored, as under nohup. */
    private Process withHupIgnored(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "trap '' HUP; exec \"$0\" \"$@\"",
                ProcessHandle.current().info().command().orElse("java"), "-cp", System.getProperty("java.class.path"),
                "dev.postern.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.out").toFile()).start();
    }

    /** Linux only (/proc/PID/status); port 0: these tests need a listener, not its number. */
    private void configWithHupChecks() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux's /proc");
        writeConfig(0);
    }

    private long daemonPid() {
        String status = postern("-c", dir.toString(), "status").out();
        return Long.parseLong(status.substring(status.indexOf("PID: ") + 5).trim());
    }

    /**
     * postern start from a shell that ignores SIGHUP (nohup): the daemon must not inherit it, or
     * its JVM silently declines the handler and postern reload waits for nothing.
     */
    @Test
    void startUnderNohupGivesADaemonThatReloads() throws Exception {
        configWithHupChecks();
        Process start = withHupIgnored("-c", dir.toString(), "start");
        assertTrue(start.waitFor(120, TimeUnit.SECONDS), "start returns");
        assertEquals(0, start.exitValue(), Files.readString(dir.resolve("child.out")));
        try {
            assertEquals(Optional.of(false), SignalMask.ignores(daemonPid(), SignalMask.HUP),
                    "the daemon handles SIGHUP although its starter ignored it");
            Files.writeString(dir.resolve("main.cf"), Files.readString(dir.resolve("main.cf")) + "smtpd_banner = $myhostname reloaded\n");
            Run reload = postern("-c", dir.toString(), "reload");
            assertEquals(0, reload.code(), reload.err());
        } finally {
            assertEquals(0, postern("-c", dir.toString(), "stop").code());
        }
    }

    /** A daemon run in the foreground with SIGHUP ignored: reload says so at once, and the mail log says why. */
    @Test
    void reloadOfADaemonThatIgnoresHupFailsAtOnceWithTheFix() throws Exception {
        configWithHupChecks();
        Process daemon = withHupIgnored("-c", dir.toString(), "start-fg");
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (!postern("-c", dir.toString(), "status").out().contains("is running: PID: " + daemon.pid())) {
                assertTrue(daemon.isAlive() && System.nanoTime() < deadline, "start-fg runs: " + Files.readString(dir.resolve("child.out")));
                Thread.sleep(50);
            }
            assertEquals(Optional.of(true), SignalMask.ignores(daemon.pid(), SignalMask.HUP));
            long t0 = System.nanoTime();
            Run reload = postern("-c", dir.toString(), "reload");
            assertEquals(1, reload.code(), reload.out());
            assertTrue(reload.err().contains("pid " + daemon.pid() + " ignores SIGHUP") && reload.err().contains("postern stop; postern start"),
                    reload.err());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30), "no 60 s wait for an answer that cannot come");
            // the mail log is written asynchronously, and the warning only once the server is up
            long logDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.readString(dir.resolve("maillog")).contains("SIGHUP is ignored by this process")) {
                assertTrue(System.nanoTime() < logDeadline, Files.readString(dir.resolve("maillog")));
                Thread.sleep(50);
            }
        } finally {
            postern("-c", dir.toString(), "stop");
            daemon.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /** Reload as the first thing after start: the HUP handler is in place before start says "ready". */
    @Test
    void reloadSwapsTheConfigurationInTheSameProcess() throws Exception {
        int port = reservedPort.port();
        writeConfig(port);
        String reloaded = Files.readString(dir.resolve("main.cf")) + "smtpd_banner = $myhostname reloaded\n";
        Run start = postern("-c", dir.toString(), "start");
        assertEquals(0, start.code(), start.err());
        try {
            Files.writeString(dir.resolve("main.cf"), reloaded);
            Run reload = postern("-c", dir.toString(), "reload");
            assertEquals(0, reload.code(), reload.err());
            String pid = start.out().replaceAll("(?s).*\\(pid (\\d+)\\).*", "$1");
            String status = postern("-c", dir.toString(), "status").out();
            assertTrue(status.contains("is running: PID: " + pid), start.out() + " / " + status);
            try (Socket s = new Socket("127.0.0.1", port);
                 var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream()))) {
                assertTrue(in.readLine().endsWith(" reloaded"), "the new banner is served");
            }
        } finally {
            postern("-c", dir.toString(), "stop");
        }
    }

    @Test
    void confShowsDefaultsAndSetValues() throws Exception {
        writeConfig(10587);
        Run d = postern("conf", "-d", "-c", dir.toString(), "smtpd_timeout", "message_size_limit");
        assertEquals(0, d.code(), d.err());
        assertEquals("smtpd_timeout = ${stress?{10}:{300}}s\nmessage_size_limit = 10240000\n", d.out()); // as postconf -d
        Run n = postern("-c", dir.toString(), "conf", "-n");
        assertTrue(n.out().contains("queue_directory = " + dir.resolve("queue")), n.out());
        assertTrue(!n.out().contains("smtpd_timeout"), "-n shows only what main.cf sets: " + n.out());
        Run unknown = postern("-c", dir.toString(), "conf", "smtpd_tls_recievedheader");
        assertTrue(unknown.code() != 0 || unknown.err().contains("unknown"), unknown.out() + unknown.err());
    }

    /** Unusable certificate files are reported at the main.cf line that names them, with the fix. */
    @Test
    void certificateProblemsNameTheLineAndTheFix() throws Exception {
        writeConfig(10587);
        String good = Files.readString(dir.resolve("main.cf"));
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Files.writeString(dir.resolve("main.cf"), good.replace("smtpd_tls_cert_file = " + pki.serverCertFile(),
                "smtpd_tls_cert_file = " + dir.resolve("missing.pem")));
        Run missing = postern("-c", dir.toString(), "check");
        assertEquals(1, missing.code());
        assertTrue(missing.err().startsWith("postern: fatal: main.cf:1: service 127.0.0.1:10587: smtpd_tls_cert_file "
                + dir.resolve("missing.pem") + ": cannot read"), missing.err());
        assertTrue(missing.err().strip().endsWith("; check the path, and that the user running Postern may read the file"),
                missing.err());
        Files.writeString(dir.resolve("main.cf"), good.replace("smtpd_tls_key_file = " + pki.serverKeyFile(),
                "smtpd_tls_key_file = " + pki.goodClient().keyFile()));
        Run mismatch = postern("-c", dir.toString(), "check");
        assertEquals(1, mismatch.code());
        assertTrue(mismatch.err().startsWith("postern: fatal: main.cf:2: service 127.0.0.1:10587: the key in "), mismatch.err());
        assertTrue(mismatch.err().strip().endsWith("does not match the certificate in " + pki.serverCertFile()
                + " (smtpd_tls_cert_file); use the key that was made with this certificate"), mismatch.err());
    }

    @Test
    void startFailsWithTheReasonWhenThePortIsTaken() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            writeConfig(busy.getLocalPort());
            Run start = postern("-c", dir.toString(), "start");
            assertEquals(1, start.code());
            assertTrue(start.err().contains("cannot listen on") || start.err().contains("Address already in use"), start.err());
        }
    }

    @Test
    void userMistakesGiveOneLineNotAStackTrace() throws Exception {
        Run missing = postern("-c", dir.resolve("nope").toString(), "check");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
        assertTrue(!missing.err().contains("\tat "), missing.err());
        Files.writeString(dir.resolve("main.cf"), "smtpd_timeout = soon\n");
        Files.writeString(dir.resolve("master.cf"), "");
        Run bad = postern("-c", dir.toString(), "check");
        assertEquals(1, bad.code());
        assertEquals("postern: fatal: main.cf:1: bad value for smtpd_timeout: \"soon\"; use a number with an optional unit s, m, h, d or w (default 300s; a bare number is in seconds)",
                bad.err().strip());
    }
}

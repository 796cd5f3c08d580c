package dev.postern.dist;

import dev.postern.config.Params;
import dev.postern.testing.Peers;
import dev.postern.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The systemd unit the release ships (src/dist/systemd/postern.service): systemd's own verifier
 * accepts it without a word, it runs Postern as the issue asks, and the readiness it declares
 * (Type=notify) is really sent. No systemd runs as PID 1 here: the notify socket is a test's own.
 * The installed unit under a real systemd (start, mail.log, metrics, reload, stop) is shown by
 * .ci/systemd-smoke, which CI runs after the tests.
 */
class SystemdUnitTest {
    static final Path UNIT = Path.of("src/dist/systemd/postern.service");
    static final Path LAUNCHER = Path.of("src/dist/bin/postern");

    @TempDir
    Path dir;

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnitWithoutAWarning() throws Exception {
        Peers.require("systemd-analyze", "systemd");
        // verify checks that ExecStart's program exists: point it at the release launcher.
        String unit = Files.readString(UNIT).replace("/usr/sbin/postern", LAUNCHER.toAbsolutePath().toString());
        Path copy = dir.resolve("postern.service");
        Files.writeString(copy, unit);
        Peers.Result ok = Peers.run(Duration.ofSeconds(60), null, List.of("systemd-analyze", "verify", copy.toString()));
        assertEquals(0, ok.exit(), ok.out() + ok.err());
        assertEquals("", ok.out() + ok.err(), "systemd-analyze verify printed warnings");
        // The check can fail: a misspelt directive is only a warning to systemd, and one here.
        Files.writeString(copy, unit.replace("ProtectSystem=strict", "ProtectSytem=strict"));
        Peers.Result typo = Peers.run(Duration.ofSeconds(60), null, List.of("systemd-analyze", "verify", copy.toString()));
        assertTrue(typo.err().contains("Unknown key 'ProtectSytem'"), typo.out() + typo.err());
    }

    @Test
    void theUnitRunsPosternUnprivilegedAndHardened() throws Exception {
        List<String> lines = Files.readAllLines(UNIT).stream().map(String::trim).toList();
        for (String required : List.of("Type=notify", "NotifyAccess=all", "ExecStart=/usr/sbin/postern start-fg",
                "ExecReload=/usr/sbin/postern reload", "User=postern", "AmbientCapabilities=CAP_NET_BIND_SERVICE",
                "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                "PrivateTmp=yes", "PrivateDevices=yes", "SuccessExitStatus=143")) {
            assertTrue(lines.contains(required), "missing " + required);
        }
        // The only writable place is the spool, and it must be the one main.cf's default names.
        String spool = Params.get("queue_directory").defaultValue();
        assertTrue(lines.contains("ReadWritePaths=" + spool), "ReadWritePaths is not queue_directory's default " + spool);
        assertFalse(lines.stream().anyMatch(l -> l.startsWith("MemoryDenyWriteExecute=yes")), "the JIT needs W+X memory");
    }

    /**
     * start-fg with NOTIFY_SOCKET set sends READY=1 (through systemd-notify) once it accepts
     * connections: the receiver is a datagram socket bound by python3, as systemd's would be.
     */
    @Test
    void startForegroundReportsReadinessOnTheNotifySocket() throws Exception {
        Peers.require("python3", "python3");
        Peers.require("systemd-notify", "systemd");
        TestPki pki = TestPki.create(dir.resolve("pki"));
        Files.writeString(dir.resolve("main.cf"), "smtpd_tls_cert_file = " + pki.serverCertFile() + "\n"
                + "smtpd_tls_key_file = " + pki.serverKeyFile() + "\nsmtpd_tls_CAfile = " + pki.caFile() + "\n"
                + "queue_directory = " + dir.resolve("queue") + "\nmaillog_file = " + dir.resolve("maillog") + "\n");
        Files.writeString(dir.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=permit_mynetworks,reject\n");
        Path socket = dir.resolve("notify.sock");
        // Prints "bound", then each datagram with its lines joined by '|', until READY=1 or 30 s.
        String receiver = "import socket,sys\n"
                + "s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\ns.settimeout(30)\n"
                + "print('bound',flush=True)\n"
                + "while True:\n  m=s.recv(4096).decode()\n  print(m.replace('\\n','|'),flush=True)\n"
                + "  if 'READY=1' in m.split('\\n'): break\n";
        Process python = new ProcessBuilder("python3", "-c", receiver, socket.toString()).redirectErrorStream(true).start();
        Process postern = null;
        try (BufferedReader notes = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("bound", notes.readLine());
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                    "dev.postern.cli.Main", "-c", dir.toString(), "start-fg"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("out").toFile()));
            pb.environment().put("NOTIFY_SOCKET", socket.toString());
            postern = pb.start();
            String ready = null;
            for (String line; (line = notes.readLine()) != null; ) {
                if (List.of(line.split("\\|")).contains("READY=1")) {
                    ready = line;
                    break;
                }
            }
            assertTrue(ready != null, "no READY=1 received; postern said: " + Files.readString(dir.resolve("out")));
            assertTrue(ready.contains("MAINPID=" + postern.pid()), ready);
            assertTrue(ready.contains("STATUS=listening on 127.0.0.1:"), ready);
            // Ready means serving: the pid file says so already.
            String pid = Files.readString(dir.resolve("queue/pid/master.pid")).trim();
            assertEquals(Long.toString(postern.pid()), pid);
        } finally {
            if (postern != null) {
                postern.destroy();
                assertTrue(postern.waitFor(60, TimeUnit.SECONDS), "postern did not stop on SIGTERM");
            }
            python.destroyForcibly();
            python.waitFor();
        }
    }
}

package dev.postern.cli;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Readiness for systemd's {@code Type=notify}: when NOTIFY_SOCKET is set, runs
 * {@code systemd-notify --ready}. Java 17 cannot send the AF_UNIX datagram itself (its Unix domain
 * channels are stream sockets only), so the message comes from that child process, which the unit
 * allows with {@code NotifyAccess=all}; systemd-notify (systemd 246 or newer) waits until systemd
 * has read the message, so its early exit does not lose it.
 */
final class SystemdNotify {
    private SystemdNotify() {}

    /** @return null when sent or not under systemd, else why it failed (for a warning) */
    static String ready(String status) {
        if (System.getenv("NOTIFY_SOCKET") == null) {
            return null;
        }
        List<String> cmd = List.of("systemd-notify", "--ready", "--pid=" + ProcessHandle.current().pid(), "--status=" + status);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "systemd-notify --ready did not finish within 30s";
            }
            return p.exitValue() == 0 ? null : "systemd-notify --ready exited with status " + p.exitValue();
        } catch (IOException e) {
            return "cannot run systemd-notify: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while running systemd-notify";
        }
    }
}

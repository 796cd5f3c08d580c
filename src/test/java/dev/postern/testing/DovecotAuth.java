package dev.postern.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A private, real Dovecot (the Debian package dovecot-core) that only authenticates: no mail
 * protocols, a passwd-file of test users, PLAIN and LOGIN, and one auth socket for Postfix's
 * {@code smtpd_sasl_type = dovecot} in a test directory. Its base, state and log live there
 * too, so it never touches /etc/dovecot's instance. Runs in the foreground ({@code -F}) as a
 * child of the test JVM; always stopped, also by a JVM shutdown hook.
 */
public final class DovecotAuth implements AutoCloseable {
    private final Path dir;
    private final Process process;
    private final Thread hook;

    private DovecotAuth(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
        this.hook = new Thread(this::stop);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts Dovecot with these users (name to plaintext password) and waits for its auth socket. */
    public static DovecotAuth start(Path dir, Map<String, String> users) throws Exception {
        Peers.require("dovecot", "dovecot-core");
        Files.createDirectories(dir.resolve("run"));
        Files.createDirectories(dir.resolve("state"));
        StringBuilder passwd = new StringBuilder();
        // passwd-file fields are colon-separated: base64 lets a password hold colons too.
        users.forEach((u, p) -> passwd.append(u).append(":{PLAIN.b64}")
                .append(java.util.Base64.getEncoder().encodeToString(p.getBytes(StandardCharsets.UTF_8))).append("::::::\n"));
        Files.writeString(dir.resolve("passwd"), passwd.toString());
        Files.writeString(dir.resolve("dovecot.conf"), "protocols =\n"
                + "base_dir = " + dir.resolve("run") + "\n"
                + "state_dir = " + dir.resolve("state") + "\n"
                // The instance name keeps doveadm and the log apart from a system Dovecot.
                + "instance_name = postern-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "\n"
                + "log_path = " + dir.resolve("dovecot.log") + "\n"
                + "ssl = no\n"
                + "auth_mechanisms = plain login\n"
                // Dovecot would otherwise refuse plaintext mechanisms from Postfix over an unencrypted
                // connection; Postfix's smtpd decides that (smtpd_tls_auth_only).
                + "disable_plaintext_auth = no\n"
                + "auth_failure_delay = 0\n"
                + "passdb {\n  driver = passwd-file\n  args = " + dir.resolve("passwd") + "\n}\n"
                + "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}\n"
                + "service auth {\n  unix_listener auth-postfix {\n    path = " + socket(dir) + "\n    mode = 0666\n  }\n}\n");
        // Postfix's smtpd runs as "postfix": it must reach the socket through JUnit's 0700 temp dirs.
        for (Path p = dir.toAbsolutePath(); p != null && p.getParent() != null && !p.toString().equals("/tmp"); p = p.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            perms.add(PosixFilePermission.OTHERS_EXECUTE);
            perms.add(PosixFilePermission.GROUP_EXECUTE);
            Files.setPosixFilePermissions(p, perms);
        }
        Process p = new ProcessBuilder("dovecot", "-F", "-c", dir.resolve("dovecot.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("dovecot.out").toFile()).start();
        DovecotAuth d = new DovecotAuth(dir, p);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(socket(dir))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                d.close();
                throw new IllegalStateException("dovecot did not start:\n" + d.log());
            }
            Thread.sleep(50);
        }
        return d;
    }

    private static Path socket(Path dir) {
        return dir.resolve("auth-postfix");
    }

    /** The socket for Postfix's smtpd_sasl_path. */
    public Path socket() {
        return socket(dir);
    }

    public String log() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String f : new String[] {"dovecot.out", "dovecot.log"}) {
            Path p = dir.resolve(f);
            if (Files.exists(p)) {
                sb.append(Files.readString(p, StandardCharsets.UTF_8));
            }
        }
        return sb.toString();
    }

    private void stop() {
        process.destroy(); // SIGTERM: the master stops its auth children
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
    }
}

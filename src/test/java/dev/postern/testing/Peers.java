package dev.postern.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Third-party peers for interoperability tests. A missing peer skips the test locally, with the
 * package to install; under CI (CI=true or -Dpostern.requirePeers=true) it fails instead, so CI
 * can never pass by skipping.
 */
public final class Peers {
    private Peers() {}

    public record Result(int exit, String out, String err) {
    }

    /** Requires an executable, found on PATH or as an absolute path. */
    public static void require(String executable, String debianPackage) {
        if (found(executable)) {
            return;
        }
        String why = "peer " + executable + " is missing: install the Debian package " + debianPackage;
        if ("true".equals(System.getenv("CI")) || Boolean.getBoolean("postern.requirePeers")) {
            Assertions.fail(why + " (CI requires every interop peer)");
        }
        Assumptions.abort(why);
    }

    static boolean found(String executable) {
        if (executable.startsWith("/")) {
            return Files.isExecutable(Path.of(executable));
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, executable))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", executable));
    }

    /** Runs a command with stdin, a time limit (killed after), and captured output. */
    public static Result run(Duration timeout, String stdin, List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread o = pump(p.getInputStream(), out);
        Thread e = pump(p.getErrorStream(), err);
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // the process may exit before reading its input
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
        o.join(2000);
        e.join(2000);
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Thread pump(InputStream in, ByteArrayOutputStream sink) {
        Thread t = new Thread(() -> {
            try {
                in.transferTo(sink);
            } catch (IOException ignored) {
                // process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}

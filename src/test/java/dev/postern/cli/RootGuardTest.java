package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The daemon refuses root unless told to, and says how to run it instead. */
class RootGuardTest {
    @TempDir
    Path dir;

    @Test
    void rootIsRefusedUnlessAllowedOtherUsersAreNot() {
        String refusal = RootGuard.refusal(0, false, null);
        assertNotNull(refusal);
        assertTrue(refusal.contains("systemctl start postern") && refusal.contains("runuser -u postern -- postern start")
                && refusal.contains("--allow-root") && refusal.contains("POSTERN_ALLOW_ROOT=yes"), refusal);
        assertNotNull(RootGuard.refusal(0, false, "no"));
        assertNotNull(RootGuard.refusal(0, false, ""));
        assertNull(RootGuard.refusal(0, true, null));
        assertNull(RootGuard.refusal(0, false, "yes"));
        assertNull(RootGuard.refusal(0, false, "1"));
        assertNull(RootGuard.refusal(1000, false, null));
    }

    /**
     * The real command in a child JVM without POSTERN_ALLOW_ROOT (the test suite sets it): as root
     * (CI) start and start-fg refuse and --allow-root gets past the check; as another user nothing
     * is refused. Past the check the missing configuration is what fails.
     */
    @Test
    void theCommandsCheckTheUserTheyRunAs() throws Exception {
        boolean root = LocalUser.uid() == 0;
        Path missing = dir.resolve("no-such-config");
        for (String verb : List.of("start", "start-fg")) {
            Result plain = postern("-c", missing.toString(), verb);
            assertTrue(plain.code != 0, plain.output);
            assertEquals(root, plain.output.contains("refusing to run as root"), plain.output);
            Result allowed = postern("-c", missing.toString(), verb, "--allow-root");
            assertTrue(allowed.code != 0, allowed.output);
            assertFalse(allowed.output.contains("refusing to run as root"), allowed.output);
            assertTrue(allowed.output.contains("configuration directory " + missing + " does not exist"), "fails on the configuration instead: " + allowed.output);
        }
    }

    private record Result(int code, String output) {
    }

    private static Result postern(String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                "dev.postern.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove(RootGuard.ENV);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "postern did not exit");
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}

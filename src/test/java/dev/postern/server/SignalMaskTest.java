package dev.postern.server;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

class SignalMaskTest {
    @Test
    void readsWhatAShellTrapIgnores() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux's /proc");
        // USR1 ignored by the trap, USR2 left alone; the shell execs sleep, which keeps both
        Process p = new ProcessBuilder("sh", "-c", "trap '' USR1; exec sleep 60").start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // wait until the exec happened (the trap is set before it): the command line says sleep
            while (!ProcessHandle.of(p.pid()).flatMap(h -> h.info().command()).orElse("").endsWith("sleep")) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("sleep never started");
                }
                Thread.sleep(10);
            }
            assertEquals(Optional.of(true), SignalMask.ignores(p.pid(), 10));
            assertEquals(Optional.of(false), SignalMask.ignores(p.pid(), 12));
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertEquals(Optional.empty(), SignalMask.ignores(p.pid(), 10), "a process that is gone: unknown");
    }
}

package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * "postern: fatal: " lines for file system errors: the path and the reason, never a bare path, a
 * Java class name or AtomicFile's temporary file.
 */
class FatalMessageTest {
    @TempDir
    Path dir;


    private void assertFatal(String expected, String... args) {
        CliRun r = CliRun.of(args);
        assertEquals(1, r.status(), r.out() + r.err());
        assertEquals("postern: fatal: " + expected + "\n", r.err());
    }

    @Test
    void fileSystemErrorsNameThePathAndTheReason() throws Exception {
        Path ca = dir.resolve("ca");
        assertEquals(0, CliRun.of("ca", "init", "--dir", ca.toString(), "--cn", "X").status());
        Path missing = dir.resolve("nonexistent").resolve("dir");
        // AtomicFile's temporary file cannot be created: the directory is named, not the temporary file
        assertFatal(missing + ": no such file or directory", "ca", "crl", "--dir", ca.toString(),
                "--out", missing.resolve("crl.pem").toString());
        Path file = Files.writeString(dir.resolve("file"), "");
        assertFatal(file + ": Not a directory", "ca", "crl", "--dir", ca.toString(), "--out", file.resolve("crl.pem").toString());
        // renaming it over a directory fails: the target is named
        Files.createDirectory(dir.resolve("crl.pem"));
        assertFatal(dir.resolve("crl.pem") + ": Is a directory", "ca", "crl", "--dir", ca.toString(),
                "--out", dir.resolve("crl.pem").toString());
        assertFatal(file + ": already exists", "ca", "init", "--dir", file.toString(), "--cn", "X");
    }

    @Test
    void permissionDeniedIsSpelledOut() throws Exception {
        // Not through a command: root (as tests may run) is never denied by file modes.
        assertEquals("/etc/x: permission denied", Main.describe(new AccessDeniedException("/etc/x")));
        assertEquals("/etc/x: permission denied", Main.describe(new java.io.UncheckedIOException(
                new AccessDeniedException("/etc/x"))));
        assertEquals("/a -> /b: Cross-device link", Main.describe(new FileSystemException("/a", "/b", "Cross-device link")));
        assertFalse(Main.describe(new AccessDeniedException("/d/.crl.pem.tmp12-1")).contains("tmp"));
    }
}

package dev.postern.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A replacement either lands whole or leaves the old content and no temporary file behind. */
class AtomicFileTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void replacesTheContentWhole() throws Exception {
        Path f = dir.resolve("crl.pem");
        AtomicFile.write(f, "old\n".getBytes(StandardCharsets.US_ASCII));
        AtomicFile.write(f, "new\n".getBytes(StandardCharsets.US_ASCII));
        assertEquals("new\n", Files.readString(f));
        assertEquals(List.of("crl.pem"), names());
    }

    @Test
    void aFailedRenameLeavesNoTemporaryFile() throws Exception {
        Path target = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(target.resolve("inside"), "x");
        assertThrows(IOException.class, () -> AtomicFile.write(target, "data".getBytes(StandardCharsets.US_ASCII)));
        assertEquals(List.of("taken"), names(), "the temporary file was left beside the target");
        assertEquals("x", Files.readString(target.resolve("inside")));
    }
}

package dev.postern.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real bin/postern, copied into an install tree whose target/postern.jar is a manifest-only
 * jar over the test class path (so the launcher does not rebuild): install-links makes the links,
 * leaves a foreign file alone, and the links behave as sendmail and postconf.
 */
class InstallLinksTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private Path install() throws IOException {
        Path inst = dir.resolve("inst");
        Files.createDirectories(inst.resolve("bin"));
        Files.createDirectories(inst.resolve("src/main"));
        Files.createDirectories(inst.resolve("target"));
        Path launcher = inst.resolve("bin/postern");
        Files.copy(Path.of(System.getProperty("user.dir"), "bin", "postern"), launcher, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(inst.resolve("pom.xml"), "<project/>\n");
        FileTime old = FileTime.from(Instant.now().minusSeconds(3600));
        Files.setLastModifiedTime(inst.resolve("pom.xml"), old);
        Files.setLastModifiedTime(inst.resolve("src/main"), old);
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.postern.cli.Main");
        String classPath = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(p -> Path.of(p).toAbsolutePath().toUri().toString()).collect(Collectors.joining(" "));
        mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        try (OutputStream o = Files.newOutputStream(inst.resolve("target/postern.jar")); JarOutputStream j = new JarOutputStream(o, mf)) {
            j.flush();
        }
        return launcher;
    }

    private static Result run(List<String> cmd, String stdin, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread t = new Thread(() -> {
            try {
                p.getErrorStream().transferTo(err);
            } catch (IOException ignored) {
                // ended
            }
        });
        t.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + cmd);
        t.join(5000);
        return new Result(p.exitValue(), out, err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void linksActAsPostfixCommandsAndForeignFilesAreLeftAlone() throws Exception {
        Path launcher = install();
        Path links = Files.createDirectories(dir.resolve("links"));
        Files.writeString(links.resolve("postconf"), "mine\n");

        Result first = run(List.of(launcher.toString(), "install-links", links.toString()), null, Map.of());
        assertEquals(1, first.exit(), first.out() + first.err());
        for (String name : List.of("sendmail", "mailq", "postqueue", "postmap")) {
            assertTrue(first.out().contains(links.resolve(name) + ": created, links to " + launcher), first.out());
            assertEquals(launcher, Files.readSymbolicLink(links.resolve(name)));
        }
        assertTrue(first.err().contains(links.resolve("postconf") + " exists and is not a link to postern: left alone"), first.err());
        assertEquals("mine\n", Files.readString(links.resolve("postconf")), "never overwritten");

        Files.delete(links.resolve("postconf"));
        Result again = run(List.of(launcher.toString(), "install-links", links.toString()), null, Map.of());
        assertEquals(0, again.exit(), again.err());
        assertTrue(again.out().contains(links.resolve("sendmail") + ": already links to " + launcher), again.out());
        assertTrue(again.out().contains(links.resolve("postconf") + ": created"), again.out());

        Path cfg = Files.createDirectories(dir.resolve("cfg"));
        Files.writeString(cfg.resolve("main.cf"), "myhostname = mx.postern.test\nmyorigin = origin.test\nqueue_directory = "
                + dir.resolve("queue") + "\n");
        Files.writeString(cfg.resolve("master.cf"), "127.0.0.1:0 inet n - n - - smtpd\n  -o smtpd_recipient_restrictions=reject\n");
        Result sent = run(List.of(links.resolve("sendmail").toString(), "-oi", "bob"), "Subject: via link\n\nhi\n",
                Map.of("POSTERN_CONFIG_DIR", cfg.toString()));
        assertEquals(0, sent.exit(), sent.err());
        List<Path> dropped = new ArrayList<>();
        try (var s = Files.list(dir.resolve("queue/maildrop"))) {
            s.forEach(dropped::add);
        }
        assertEquals(1, dropped.size(), dropped.toString());
        String file = Files.readString(dropped.get(0));
        assertTrue(file.startsWith("postern-maildrop 1\nsender ") && file.contains("\nrcpt bob\n") /* as given: cleanup completes it */
                && file.endsWith("\n\nSubject: via link\r\n\r\nhi\r\n"), file);

        Result mailq = run(List.of(links.resolve("mailq").toString(), "-c", cfg.toString()), null, Map.of());
        assertEquals(0, mailq.exit(), mailq.err());
        Result postqueue = run(List.of(links.resolve("postqueue").toString(), "-c", cfg.toString(), "-p"), null, Map.of());
        assertEquals(0, postqueue.exit(), postqueue.err());
        assertEquals(mailq.out(), postqueue.out(), "mailq is postqueue -p");
        assertTrue(mailq.out().contains("Mail queue is empty") || mailq.out().contains("Request"),
                "the queue verb's listing: " + mailq.out());

        Result postconf = run(List.of(links.resolve("postconf").toString(), "-c", cfg.toString(), "-n"), null, Map.of());
        assertEquals(0, postconf.exit(), postconf.err());
        assertTrue(postconf.out().contains("myorigin = origin.test"), postconf.out());
    }
}

package dev.postern.server;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The daemon under a low RLIMIT_NOFILE (issue 9 §1): start warns that the process limits do not
 * fit, naming what to lower or raise; idle connections beyond the descriptor limit make accept()
 * fail with EMFILE, which pauses the listener with one warning in Postfix's words and no stack
 * trace; once the idle clients leave, a certificate client's mail is accepted and the queue
 * manager, still alive, delivers it.
 *
 * <p>The daemon runs as released: its classes in a jar that the JVM holds open. From the test's
 * class path (a directory of class files) every class loaded for the first time needs a descriptor
 * of its own, so one first needed while they are exhausted fails to load, and the JVM keeps that
 * failure for good (JVMS §5.4.3): in CI the first STARTTLS after the flood could never load
 * {@code Anvil$Event} again, and no mail was accepted for the rest of the run. A released daemon
 * reads classes through the one (shaded) jar it opened at start. Here the main classes are packed
 * into a jar beside the dependency jars, which the JVM opens as classes are first looked up: that
 * every one is open before the flood (after one message, as a daemon in the field has served) is
 * checked, not assumed.
 */
class DescriptorLimitTest {
    private static final int NOFILE = 256;
    private static final int IDLE = 320;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void idleConnectionsBeyondTheDescriptorLimitDoNotStopMail() throws Exception {
        DaemonUnderTest d = new DaemonUnderTest(dir);
        // maxproc 1000: the descriptor limit, not the session limit, is what the idle clients hit.
        // No per-client limit either: all the idle clients come from 127.0.0.1, as from 400 addresses in the report.
        d.write("smtpd_client_connection_count_limit = 0\n", TestMta.seedMasterCf("127.0.0.1:0").replace("n       -       n       -       -       smtpd",
                "n       -       n       -       1000    smtpd"));
        Path out = dir.resolve("daemon.out");
        List<Path> classPath = releasedClassPath();
        Process daemon = startWithLimit(out, classPath);
        List<Socket> idle = new ArrayList<>();
        try {
            String log = d.awaitLog("daemon started -- listening on 127\\.0\\.0\\.1:(\\d+)", Duration.ofSeconds(10));
            assertTrue(log.contains("warning: open file limit " + NOFILE + " is below the "), log);
            assertTrue(log.contains("lower maxproc in master.cf or default_process_limit, or raise the limit"), log);
            InetSocketAddress at = new InetSocketAddress("127.0.0.1",
                    d.ports("daemon started -- listening on 127\\.0\\.0\\.1:(\\d+)").get(0));
            // A daemon that has served mail, as one in the field has: then every jar it reads classes from is open.
            assertTrue(d.send(at, "before@example.com").startsWith("250 2.0.0 Ok: queued as "));
            d.awaitLog("to=<before@example\\.com>.*status=sent", Duration.ofSeconds(60));
            assertEquals(List.of(), notHeldOpen(daemon, classPath), "jars the daemon has not opened");
            for (int i = 0; i < IDLE; i++) {
                Socket s = new Socket();
                s.connect(at, 5_000); // the listen backlog takes what accept() cannot
                idle.add(s);
            }
            d.awaitLog("warning: accept connection: Too many open files; pausing new connections",
                    Duration.ofSeconds(30));
            for (Socket s : idle) {
                s.close();
            }
            idle.clear();
            String reply = sendWithin(d, at, Duration.ofSeconds(60), daemon, out);
            assertTrue(reply.startsWith("250 2.0.0 Ok: queued as "), reply);
            d.awaitLog("to=<after@example\\.com>.*status=sent", Duration.ofSeconds(60));
            assertTrue(daemon.isAlive());
            String output = Files.readString(out);
            assertFalse(output.contains("\tat ") || output.contains("Exception"), "no stack trace: " + output);
            assertFalse(d.log().contains("Exception"), "no Java class name in the mail log");
        } finally {
            for (Socket s : idle) {
                s.close();
            }
            assertEquals(0, d.postern("stop").code());
            daemon.waitFor(30, TimeUnit.SECONDS);
            daemon.destroyForcibly();
            d.sink.close();
        }
    }

    /**
     * The legitimate client retries while sessions that were in the backlog drain. On failure the
     * message says what the daemon held (open descriptors) and logged, to tell a listener that never
     * resumed from sessions that never closed or a class that failed to load.
     */
    private static String sendWithin(DaemonUnderTest d, InetSocketAddress at, Duration limit, Process daemon, Path out) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        AssertionError last = null;
        while (System.nanoTime() < deadline) {
            try {
                return d.send(at, "after@example.com");
            } catch (Exception e) {
                last = new AssertionError(e);
            } catch (AssertionError e) {
                last = e;
            }
            Thread.sleep(200);
        }
        String fds;
        try (var list = Files.list(Path.of("/proc", Long.toString(daemon.pid()), "fd"))) {
            fds = Long.toString(list.count());
        } catch (java.io.IOException e) {
            fds = "unknown";
        }
        throw new AssertionError("no reply within " + limit.toSeconds() + " s; the daemon holds " + fds + " descriptors (limit "
                + NOFILE + "); last attempt: " + (last == null ? "none" : last.getMessage()) + "\nmail log:\n" + d.log()
                + "\noutput:\n" + DaemonProcess.tail(out), last);
    }

    /**
     * The test's class path as a release has it: the main classes packed into a jar; the test classes
     * (and their test-only jars, which the daemon would never open) left out.
     */
    private List<Path> releasedClassPath() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            if (name.equals("test-classes") || TEST_ONLY.matcher(name).lookingAt()) {
                continue;
            }
            out.add(Files.isDirectory(p) ? jar(p, dir.resolve("classes-" + out.size() + ".jar")) : p);
        }
        return out;
    }

    /** Test-scope jars (pom.xml): the released daemon has none of them. */
    private static final Pattern TEST_ONLY = Pattern.compile("(junit-|opentest4j-|apiguardian-|surefire|blockhound-)");

    private static Path jar(Path classes, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
             Stream<Path> files = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                out.putNextEntry(new JarEntry(classes.relativize(f).toString().replace(File.separatorChar, '/')));
                Files.copy(f, out);
                out.closeEntry();
            }
        }
        return jar;
    }

    /** The class path entries the process has no descriptor open for. */
    private static List<Path> notHeldOpen(Process daemon, List<Path> classPath) throws IOException {
        Set<Path> open = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(daemon.pid()), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    open.add(Files.readSymbolicLink(fd));
                } catch (IOException gone) {
                    // closed since the listing
                }
            }
        }
        List<Path> missing = new ArrayList<>();
        for (Path p : classPath) {
            if (!open.contains(p.toRealPath())) { // /proc/PID/fd links name real paths
                missing.add(p);
            }
        }
        return missing;
    }

    private Process startWithLimit(Path out, List<Path> classPath) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cmd = "ulimit -n " + NOFILE + " && exec \"$0\" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp \"$1\""
                + " dev.postern.cli.Main -c \"$2\" start-fg";
        String cp = classPath.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
        Process p = new ProcessBuilder("bash", "-c", cmd, java, cp, dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .start();
        Path pid = dir.resolve("queue").resolve("pid").resolve("master.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(pid) && Files.readString(pid).trim().equals(Long.toString(p.pid()))) {
                return p;
            }
            if (!p.isAlive()) {
                throw new AssertionError("postern died: " + DaemonProcess.tail(out));
            }
            Thread.sleep(20);
        }
        p.destroyForcibly();
        throw new AssertionError("not ready: " + DaemonProcess.tail(out));
    }
}

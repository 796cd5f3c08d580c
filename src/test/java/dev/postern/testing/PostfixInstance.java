package dev.postern.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A private, real Postfix (the Debian package) for interop tests: its own config, queue and data
 * directories under a test directory, its SMTP server on a free loopback port, its log in a file.
 * Never touches /etc/postfix's instance. Always stopped, also by a JVM shutdown hook.
 */
public final class PostfixInstance implements AutoCloseable {
    private final Path dir;
    private final int smtpPort;
    private final List<Integer> morePorts;
    private final Thread hook;

    private PostfixInstance(Path dir, int smtpPort, List<Integer> morePorts) {
        this.dir = dir;
        this.smtpPort = smtpPort;
        this.morePorts = List.copyOf(morePorts);
        this.hook = new Thread(this::stopQuietly);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts Postfix with the standard master.cf, its smtpd on 127.0.0.1:port, and these main.cf lines. */
    public static PostfixInstance start(Path dir, Map<String, String> mainCf) throws Exception {
        return start(dir, mainCf, List.of());
    }

    /**
     * As {@link #start(Path, Map)}, with one more smtpd service on 127.0.0.1 for each entry of
     * {@code moreSmtpd}: that service's master.cf options ("-o name=value ..."), its port at the
     * same index in {@link #morePorts()}.
     */
    public static PostfixInstance start(Path dir, Map<String, String> mainCf, List<String> moreSmtpd) throws Exception {
        Peers.require("/usr/sbin/postfix", "postfix");
        Path conf = dir.resolve("conf");
        Path data = dir.resolve("data");
        Files.createDirectories(conf);
        Files.createDirectories(dir.resolve("queue"));
        Files.createDirectories(data);
        // Held until Postfix's smtpd listens there (its master binds with SO_REUSEADDR), so no other
        // socket of the suite can be given the number in between.
        List<ReservedPort> reserved = new java.util.ArrayList<>();
        try {
            for (int i = 0; i <= moreSmtpd.size(); i++) {
                reserved.add(ReservedPort.reserve());
            }
            List<Integer> more = reserved.subList(1, reserved.size()).stream().map(ReservedPort::port).toList();
            return start(dir, conf, data, reserved.get(0).port(), more, moreSmtpd, mainCf);
        } finally {
            for (ReservedPort r : reserved) {
                r.close();
            }
        }
    }

    private static PostfixInstance start(Path dir, Path conf, Path data, int port, List<Integer> morePorts,
                                         List<String> moreSmtpd, Map<String, String> mainCf) throws Exception {
        StringBuilder services = new StringBuilder("127.0.0.1:" + port + " inet n - n - - smtpd");
        for (int i = 0; i < morePorts.size(); i++) {
            services.append("\n127.0.0.1:").append(morePorts.get(i)).append(" inet n - n - - smtpd ").append(moreSmtpd.get(i));
        }
        String master = Files.readString(Path.of("/etc/postfix/master.cf"), StandardCharsets.UTF_8)
                .replaceFirst("(?m)^smtp\\s+inet\\s.*$", java.util.regex.Matcher.quoteReplacement(services.toString()));
        Files.writeString(conf.resolve("master.cf"), withoutChroot(master));
        StringBuilder main = new StringBuilder()
                .append("compatibility_level = 3.6\n")
                .append("queue_directory = ").append(dir.resolve("queue")).append('\n')
                .append("data_directory = ").append(data).append('\n')
                .append("inet_interfaces = 127.0.0.1\n")
                .append("inet_protocols = ipv4\n")
                .append("mydestination =\n")
                .append("mynetworks = 127.0.0.0/8\n")
                .append("alias_maps =\n")
                .append("alias_database =\n")
                // No DNS on test machines: resolve next hops through /etc/hosts.
                .append("smtp_host_lookup = native\n")
                .append("smtpd_relay_restrictions = permit_mynetworks, reject\n")
                // A daemon that dies (e.g. a timeout reaching postlogd or trivial-rewrite on a
                // machine busy with a build) makes master throttle its service for 60 s, during
                // which connections get no greeting (the likely cause, not confirmed from a log, of
                // a 15 s greeting timeout seen once in AddressRewritingInteropTest).
                // That is the test machine's load, not what a test examines: retry after 1 s.
                .append("service_throttle_time = 1s\n")
                .append("maillog_file_prefixes = ").append(dir).append('\n')
                .append("maillog_file = ").append(dir.resolve("maillog")).append('\n');
        mainCf.forEach((k, v) -> main.append(k).append(" = ").append(v).append('\n'));
        Files.writeString(conf.resolve("main.cf"), main.toString());
        // Postfix's unprivileged daemons must reach their files: JUnit's temp dirs are 0700.
        for (Path p = dir.toAbsolutePath(); p != null && p.getParent() != null && !p.toString().equals("/tmp"); p = p.getParent()) {
            var perms = java.nio.file.Files.getPosixFilePermissions(p);
            perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
            perms.add(java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE);
            java.nio.file.Files.setPosixFilePermissions(p, perms);
        }
        // Postfix's master refuses a data directory it does not own.
        Peers.Result chown = Peers.run(Duration.ofSeconds(10), null, List.of("chown", "postfix", data.toString()));
        if (chown.exit() != 0) {
            throw new IllegalStateException("cannot chown " + data + " to postfix (run the tests as root): " + chown.err());
        }
        PostfixInstance pf = new PostfixInstance(dir, port, morePorts);
        for (int attempt = 1; ; attempt++) {
            Peers.Result r = Peers.run(Duration.ofSeconds(60), null, List.of("/usr/sbin/postfix", "-c", conf.toString(), "start"));
            if (r.exit() != 0) {
                pf.close();
                throw new IllegalStateException("postfix start failed: " + r.out() + r.err() + "\n" + pf.log());
            }
            pf.awaitPort();
            // Seen once in CI: Postfix started, but its postlogd never ran and every daemon blocked
            // on the full log socket (net.unix.max_dgram_qlen is 10 here), so smtpd never greeted.
            // That is Postfix's start going wrong, not what a test examines: start it once more.
            if (pf.greets() || attempt == 2) {
                return pf;
            }
            pf.close();
        }
    }

    /** True when smtpd answers a connection with its 220 greeting within 20 s. */
    private boolean greets() {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", smtpPort)) {
            s.setSoTimeout(20_000);
            byte[] b = new byte[4];
            return s.getInputStream().readNBytes(b, 0, 4) == 4 && new String(b, StandardCharsets.US_ASCII).equals("220 ");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * {@code postmap -F hash:file} before the instance starts (smtpd loads tls_server_sni_maps
     * when it starts, and the start's greeting check starts one): the values are PEM files whose
     * contents postmap loads into the table. Runs with a configuration directory of its own.
     */
    public static void postmapFiles(Path file) throws Exception {
        Peers.require("/usr/sbin/postmap", "postfix");
        Path conf = Files.createDirectories(file.resolveSibling("postmap-conf"));
        Files.writeString(conf.resolve("main.cf"), "compatibility_level = 3.6\n");
        Peers.Result r = Peers.run(Duration.ofSeconds(30), null,
                List.of("/usr/sbin/postmap", "-c", conf.toString(), "-F", "hash:" + file));
        if (r.exit() != 0) {
            throw new IllegalStateException("postmap -F failed: " + r.out() + r.err());
        }
    }

    public void postmap(Path file) throws Exception {
        Peers.Result r = Peers.run(Duration.ofSeconds(30), null,
                List.of("/usr/sbin/postmap", "-c", dir.resolve("conf").toString(), "hash:" + file));
        if (r.exit() != 0) {
            throw new IllegalStateException("postmap failed: " + r.err());
        }
    }

    public int smtpPort() {
        return smtpPort;
    }

    /** The ports of the services {@link #start(Path, Map, List)} added, in its order. */
    public List<Integer> morePorts() {
        return morePorts;
    }

    public String log() throws IOException {
        Path f = dir.resolve("maillog");
        return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }

    public String awaitLog(String regex, Duration timeout) throws Exception {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String l = log();
            if (p.matcher(l).find()) {
                return l;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Postfix log never matched /" + regex + "/:\n" + log());
    }

    private void awaitPort() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", smtpPort)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("Postfix smtpd never listened on " + smtpPort + ":\n" + log());
    }

    /** Debian chroots some services into the queue directory, where a test instance has no /etc/hosts. */
    static String withoutChroot(String master) {
        StringBuilder out = new StringBuilder();
        for (String line : master.split("\n", -1)) {
            String[] f = line.split("\\s+");
            if (!line.isEmpty() && !line.startsWith("#") && !Character.isWhitespace(line.charAt(0)) && f.length >= 8) {
                f[4] = "n";
                line = String.join(" ", f);
            }
            out.append(line).append('\n');
        }
        return out.toString();
    }

    private void stopQuietly() {
        try {
            Peers.run(Duration.ofSeconds(30), null, List.of("/usr/sbin/postfix", "-c", dir.resolve("conf").toString(), "stop"));
        } catch (Exception ignored) {
            // best effort at JVM exit
        }
        // A master whose daemons hang (see start) may outlive "postfix stop": never leave it running.
        try {
            Path pid = dir.resolve("queue").resolve("pid").resolve("master.pid");
            if (Files.exists(pid)) {
                long p = Long.parseLong(Files.readString(pid).trim());
                ProcessHandle.of(p).ifPresent(h -> {
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                });
            }
        } catch (Exception ignored) {
            // best effort
        }
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
    }
}

package dev.postern.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private HAProxy (Debian package haproxy) in TCP mode, in the foreground ({@code -db}), one
 * frontend per {@link Route}, each forwarding to a server with a PROXY protocol option
 * ({@code send-proxy} or {@code send-proxy-v2}).
 *
 * <p>Ports: HAProxy refuses {@code bind 127.0.0.1:0} ("invalid port '0'"), and picking a free port
 * to give it would race with everything else on the machine. So a small python3 launcher binds
 * each frontend's socket to port 0, listens, prints the ports the kernel chose, puts the sockets on
 * file descriptors 3, 4 ... and execs HAProxy, whose frontends {@code bind fd@3}, {@code fd@4}
 * (HAProxy's inherited-socket syntax). The sockets listen before HAProxy starts, so a client may
 * connect at once: the kernel queues it until HAProxy accepts. No retry loop, no readiness poll.
 */
public final class HaproxyInstance implements AutoCloseable {
    /**
     * One frontend: clients connect to it; HAProxy connects to {@code server} with
     * {@code serverOptions}; {@code backendOptions} are lines for the backend (e.g. option smtpchk).
     */
    public record Route(InetSocketAddress server, String serverOptions, String backendOptions) {
        public Route(InetSocketAddress server, String serverOptions) {
            this(server, serverOptions, "");
        }
    }

    private static final String LAUNCHER = """
            import fcntl, os, socket, sys
            n = int(sys.argv[1])
            socks = []
            for i in range(n):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.bind(('127.0.0.1', 0))
                s.listen(1024)
                socks.append(s)
            print(' '.join(str(s.getsockname()[1]) for s in socks), flush=True)
            # Move them out of the way first: a socket may already sit on fd 3, 4 ...
            high = [fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 100) for s in socks]
            for s in socks:
                s.close()
            for i, fd in enumerate(high):
                os.dup2(fd, 3 + i, inheritable=True)
                os.close(fd)
            os.execvp(sys.argv[2], sys.argv[2:])
            """;

    private final Process process;
    private final List<InetSocketAddress> frontends;
    private final Path stderr;

    private HaproxyInstance(Process process, List<InetSocketAddress> frontends, Path stderr) {
        this.process = process;
        this.frontends = frontends;
        this.stderr = stderr;
    }

    /** Skips (locally) or fails (CI) when haproxy or python3 is missing. */
    public static void requirePeers() {
        Peers.require("haproxy", "haproxy");
        Peers.require("python3", "python3");
    }

    public static HaproxyInstance start(Path dir, List<Route> routes) throws IOException {
        Files.createDirectories(dir);
        Path launcher = dir.resolve("launch.py");
        Files.writeString(launcher, LAUNCHER);
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, config(routes));
        Path stderr = dir.resolve("haproxy.stderr");
        Process p = new ProcessBuilder("python3", launcher.toString(), String.valueOf(routes.size()),
                "haproxy", "-db", "-f", cfg.toString())
                .redirectError(stderr.toFile())
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine();
        if (line == null) {
            p.destroy();
            throw new IOException("haproxy launcher said nothing: " + Files.readString(stderr));
        }
        List<InetSocketAddress> frontends = new ArrayList<>();
        for (String port : line.trim().split(" ")) {
            frontends.add(new InetSocketAddress("127.0.0.1", Integer.parseInt(port)));
        }
        return new HaproxyInstance(p, frontends, stderr);
    }

    /** mode tcp, one frontend and backend per route, log to stderr (kept in a file for failures). */
    static String config(List<Route> routes) {
        StringBuilder sb = new StringBuilder()
                .append("global\n    log stderr format short local0 info\n")
                .append("defaults\n    mode tcp\n    log global\n    option tcplog\n")
                .append("    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n");
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            sb.append("frontend f").append(i).append("\n    bind fd@").append(3 + i)
                    .append("\n    default_backend b").append(i).append('\n')
                    .append("backend b").append(i).append('\n')
                    .append(r.backendOptions().isEmpty() ? "" : "    " + r.backendOptions() + "\n")
                    .append("    server s").append(i).append(' ')
                    .append(r.server().getAddress().getHostAddress()).append(':').append(r.server().getPort())
                    .append(' ').append(r.serverOptions()).append('\n');
        }
        return sb.toString();
    }

    /** The address clients connect to for route {@code i}. */
    public InetSocketAddress frontend(int i) {
        return frontends.get(i);
    }

    /** HAProxy's own log (stderr), for assertion messages. */
    public String log() throws IOException {
        return Files.exists(stderr) ? Files.readString(stderr) : "";
    }

    public boolean alive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}

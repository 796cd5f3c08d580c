package dev.postern.cli;

import dev.postern.util.HostPort;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/** {@code postern sink}: a next hop that accepts and stores (or just counts) every message. */
@Command(name = "sink", description = "Run a test next-hop SMTP server that accepts every message (for demos and benchmarks; Postfix's smtp-sink).")
final class SinkCommand implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Option(names = "--listen", defaultValue = "127.0.0.1:10025", description = "host:port (default ${DEFAULT-VALUE})")
    String listen;
    @CommandLine.Option(names = "--dir", description = "store each message here as NNNNNN.eml (default: count only)")
    Path dir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try (SinkServer sink = new SinkServer(listenAddress(), dir)) {
            System.err.println("postern sink: listening on " + sink.address() + (dir == null ? " (counting only)" : ", saving to " + dir));
            Thread.currentThread().join();
        }
        return 0;
    }

    /**
     * --listen as host:port, resolved here: Netty reports a host it cannot resolve (or "nocolon",
     * a host named so) as a bare UnresolvedAddressException.
     */
    private InetSocketAddress listenAddress() {
        String expected = "--listen " + listen + ": expected host:port, e.g. 127.0.0.1:10025";
        HostPort hp;
        try {
            hp = HostPort.parse(listen);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), expected + " (" + e.getMessage() + ")");
        }
        if (hp.port() < 0 || hp.host().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), expected);
        }
        InetSocketAddress a = new InetSocketAddress(hp.host(), hp.port());
        if (a.isUnresolved()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--listen " + listen + ": unknown host \"" + hp.host() + "\" (expected host:port, e.g. 127.0.0.1:10025)");
        }
        return a;
    }
}

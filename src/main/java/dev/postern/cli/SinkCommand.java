package dev.postern.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

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
        try (SinkServer sink = new SinkServer(AddressOption.parse(spec, "--listen", listen, -1), dir)) {
            System.err.println("postern sink: listening on " + sink.address() + (dir == null ? " (counting only)" : ", saving to " + dir));
            Thread.currentThread().join();
        }
        return 0;
    }
}

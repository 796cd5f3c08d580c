package dev.postern.cli;

import dev.postern.cli.bench.LoadGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.util.concurrent.Callable;

/** {@code postern bench}: an SMTP submission load generator (see bench/compare-postfix.sh). */
@Command(name = "bench", description = "SMTP submission load generator (Postfix's smtp-source): STARTTLS with client certificates, concurrency, "
        + "messages per connection, message size; reports msgs/s and latency percentiles.")
final class BenchCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--server", required = true, description = "host:port")
    String server;
    @Option(names = "--starttls", description = "STARTTLS before MAIL")
    boolean starttls;
    @Option(names = "--cert", description = "client certificate (PEM)")
    File cert;
    @Option(names = "--key", description = "client key (PEM)")
    File key;
    @Option(names = "--ca", description = "CA for the server certificate (PEM)")
    File ca;
    @Option(names = "--concurrency", defaultValue = "20")
    int concurrency;
    @Option(names = "--messages", defaultValue = "1000")
    int messages;
    @Option(names = "--per-connection", defaultValue = "1")
    int perConnection;
    @Option(names = "--size", defaultValue = "4096", description = "message size in bytes")
    int size;
    @Option(names = "--from", defaultValue = "me@my.domain.example")
    String from;
    @Option(names = "--to", defaultValue = "someone@somewhere.else.example")
    String to;
    @Option(names = "--pipelining", description = "send MAIL, RCPT and DATA in one write (RFC 2920); "
            + "default: one command per round trip, as smtplib and swaks")
    boolean pipelining;
    @Option(names = "--tls-resume", description = "offer the previous TLS session to the server (as Thunderbird or "
            + "Postfix's smtp with a session cache); default: a full handshake per connection, as smtplib and swaks")
    boolean tlsResume;
    @Option(names = "--idle-sessions", defaultValue = "0", description = "open this many TLS sessions and hold them")
    int idleSessions;
    @Option(names = "--hold", defaultValue = "10", description = "seconds to hold idle sessions")
    long hold;
    @Option(names = "--io-threads", defaultValue = "0", description = "the generator's network (and TLS) threads; "
            + "default 0: one per CPU")
    int ioThreads;
    @Option(names = "--rate", defaultValue = "0", description = "messages per second offered whatever the server's "
            + "speed (an open loop: a connection every per-connection/rate seconds, at most --concurrency open, a "
            + "start that finds them all busy is counted late=; a connection that fails is not replaced: the run ends "
            + "after its starts, with errors=); default 0: closed loop, each connection followed by the next as soon as it ends")
    double rate;

    @Override
    public Integer call() throws Exception {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rate " + rate + ": messages per second, 0 (closed loop) or more");
        }
        if (rate > 0 && idleSessions > 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--rate paces messages; --idle-sessions sends none: use one or the other");
        }
        if (concurrency < 1 || perConnection < 1 || messages < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--concurrency, --per-connection and --messages must be 1 or more");
        }
        LoadGenerator.Options o = new LoadGenerator.Options(AddressOption.parse(spec, "--server", server, 587), starttls,
                cert, key, ca, concurrency, messages, perConnection, size, from, to, pipelining,
                tlsResume, ioThreads, rate);
        if (idleSessions > 0) {
            return LoadGenerator.idleSessions(o, idleSessions, hold, spec.commandLine().getOut()) == 0 ? 0 : 1;
        }
        LoadGenerator.Result r = LoadGenerator.run(o);
        System.out.println(r.line());
        return r.errors() == 0 ? 0 : 1;
    }
}

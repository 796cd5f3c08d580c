package dev.postern.cli;

import dev.postern.util.HostPort;
import picocli.CommandLine;

import java.net.InetSocketAddress;

/**
 * A host:port option resolved when the command starts: Netty reports a host it cannot resolve (or
 * "nocolon", a host named so) as a bare UnresolvedAddressException, so a mistake is said here,
 * naming the option, as a parameter error (exit 2).
 */
final class AddressOption {
    private AddressOption() {}

    /** @param defaultPort the port when the value has none; -1: a port is required */
    static InetSocketAddress parse(CommandLine.Model.CommandSpec spec, String option, String value, int defaultPort) {
        String example = defaultPort < 0 ? "127.0.0.1:10025" : "127.0.0.1:" + defaultPort;
        String expected = option + " " + value + ": expected host:port, e.g. " + example;
        HostPort hp;
        try {
            hp = HostPort.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), expected + " (" + e.getMessage() + ")");
        }
        int port = hp.port() >= 0 ? hp.port() : defaultPort;
        if (port < 0 || hp.host().isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), expected);
        }
        InetSocketAddress a = new InetSocketAddress(hp.host(), port);
        if (a.isUnresolved()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + " " + value + ": unknown host \"" + hp.host() + "\" (expected host:port, e.g. " + example + ")");
        }
        return a;
    }
}

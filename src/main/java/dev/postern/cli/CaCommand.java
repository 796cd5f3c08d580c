package dev.postern.cli;

import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code postern ca}: the private CA (TinyCA2's job in the seed). Keys are PEM without a password, mode 0600. */
@Command(name = "ca", description = "Private certificate authority: create a CA, issue server and client certificates.",
        subcommands = {CaCommand.Init.class, CaCommand.Server.class, CaCommand.Client.class})
final class CaCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: init, server or client");
    }

    @Command(name = "init", description = "Create a CA in DIR (ca-cert.pem, ca-key.pem).")
    static final class Init implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "CA directory")
        Path dir;
        @Option(names = "--cn", required = true, description = "CA common name")
        String cn;
        @Option(names = "--days", defaultValue = "3650", description = "validity in days (default ${DEFAULT-VALUE})")
        int days;

        @Override
        public Integer call() throws Exception {
            CertificateAuthority.init(dir, cn, Duration.ofDays(days));
            System.out.println("postern ca: created CA \"" + cn + "\" in " + dir + " (ca-cert.pem, ca-key.pem)");
            return 0;
        }
    }

    abstract static class Issue implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "CA directory")
        Path dir;
        @Option(names = "--cn", required = true, description = "common name")
        String cn;
        @Option(names = "--out-cert", required = true, description = "certificate file to write (PEM)")
        Path certFile;
        @Option(names = "--out-key", required = true, description = "key file to write (PEM, unencrypted, mode 0600)")
        Path keyFile;
        @Option(names = "--days", defaultValue = "825", description = "validity in days (default ${DEFAULT-VALUE})")
        int days;

        abstract IssuedCertificate issue(CertificateAuthority ca);

        @Override
        public Integer call() throws Exception {
            IssuedCertificate c = issue(CertificateAuthority.load(dir));
            c.writePem(certFile, keyFile);
            System.out.println("postern ca: issued \"" + cn + "\": " + certFile + ", " + keyFile);
            return 0;
        }
    }

    @Command(name = "server", description = "Issue a server certificate (serverAuth, DNS names).")
    static final class Server extends Issue {
        @Option(names = "--dns", description = "DNS name (repeatable; default: the CN)")
        List<String> dns = new ArrayList<>();

        @Override
        IssuedCertificate issue(CertificateAuthority ca) {
            return ca.issueServer(cn, dns.isEmpty() ? List.of(cn) : dns, Duration.ofDays(days));
        }
    }

    @Command(name = "client", description = "Issue a client certificate (clientAuth): the permission to relay.")
    static final class Client extends Issue {
        @Override
        IssuedCertificate issue(CertificateAuthority ca) {
            return ca.issueClient(cn, Duration.ofDays(days));
        }
    }
}

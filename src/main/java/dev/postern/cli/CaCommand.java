package dev.postern.cli;

import dev.postern.ca.CaDirectory;
import dev.postern.ca.CertificateAuthority;
import dev.postern.ca.IssuedCertificate;
import dev.postern.ca.Profile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code postern ca}: the private CA (TinyCA2's job in the seed). Keys are PEM without a password,
 * mode 0600; the CA keeps an index (OpenSSL's index.txt format) so revoke, crl and list work later.
 */
@Command(name = "ca", description = {"Private certificate authority (what the seed did with TinyCA2): create a CA, "
        + "issue server and client certificates, revoke them, publish a CRL (for postern_smtpd_tls_crl_file), "
        + "list what was issued with relay_clientcerts fingerprints."},
        subcommands = {CaCommand.Init.class, CaCommand.Server.class, CaCommand.Client.class, CaRevokeCommands.Revoke.class,
                CaRevokeCommands.Crl.class, CaRevokeCommands.ListIssued.class})
final class CaCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "missing subcommand: init, server, client, revoke, crl or list (postern ca --help)");
    }

    static CertificateAuthority.KeyType keyType(CommandLine.Model.CommandSpec spec, String key) {
        try {
            return key == null ? null : CertificateAuthority.KeyType.of(key);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--key: " + e.getMessage());
        }
    }

    @Command(name = "init", description = "Create a CA in DIR (ca-cert.pem, ca-key.pem, index.txt).")
    static final class Init implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @Option(names = "--dir", required = true, description = "CA directory")
        Path dir;
        @Option(names = "--cn", required = true, description = "CA common name")
        String cn;
        @Option(names = "--days", defaultValue = "3650", description = "validity in days (default ${DEFAULT-VALUE})")
        int days;
        @Option(names = "--key", defaultValue = "ec", description = "key type: ec (P-256), rsa2048 (TinyCA2's), rsa3072, rsa4096 "
                + "(default ${DEFAULT-VALUE}); certificates issued later use the CA's type unless told otherwise")
        String key;

        @Override
        public Integer call() throws Exception {
            positiveDays(spec, days);
            CertificateAuthority.init(dir, cn, Duration.ofDays(days), keyType(spec, key));
            spec.commandLine().getOut().println("postern ca: created CA \"" + cn + "\" in " + dir + " (ca-cert.pem, ca-key.pem)");
            return 0;
        }
    }

    abstract static class Issue implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
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
        @Option(names = "--key", description = "key type: ec, rsa2048, rsa3072, rsa4096 (default: the CA's)")
        String key;

        abstract Profile profile();

        abstract List<String> names();

        /**
         * Before anything is issued: what could still fail for a reason of the user's (a password
         * file that cannot be read), so that a failed command leaves no certificate behind, valid in
         * the index, that can relay.
         */
        void prepare() throws Exception {
        }

        /** After the PEM files are written (PKCS#12 export). */
        void written(IssuedCertificate c) throws Exception {
        }

        @Override
        public Integer call() throws Exception {
            CertificateAuthority.KeyType type = keyType(spec, key);
            positiveDays(spec, days);
            prepare();
            IssuedCertificate c = CaDirectory.open(dir).issue(cn, profile(), names(), Duration.ofDays(days), type);
            c.writePem(certFile, keyFile);
            written(c);
            spec.commandLine().getOut().println("postern ca: issued \"" + cn + "\" serial "
                    + dev.postern.ca.IndexEntry.hex(c.certificate().getSerialNumber()) + ": " + certFile + ", " + keyFile);
            return 0;
        }
    }

    @Command(name = "server", description = "Issue a server certificate (EKU serverAuth; DNS and IP subjectAltNames) "
            + "for smtpd_tls_cert_file / smtpd_tls_key_file.")
    static final class Server extends Issue {
        @Option(names = "--dns", description = "DNS name (repeatable; default: the CN when no --ip is given either)")
        List<String> dns = new ArrayList<>();
        @Option(names = "--ip", description = "IP address subjectAltName (repeatable), e.g. 127.0.0.1 or ::1")
        List<String> ips = new ArrayList<>();

        @Override
        Profile profile() {
            return Profile.SERVER;
        }

        @Override
        List<String> names() {
            for (String ip : ips) {
                if (!ip.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--ip " + ip + ": not an IPv4 or IPv6 address");
                }
            }
            List<String> all = new ArrayList<>(dns.isEmpty() && ips.isEmpty() ? List.of(cn) : dns);
            all.addAll(ips);
            return all;
        }
    }

    @Command(name = "client", description = "Issue a client certificate (EKU clientAuth): the permission to relay "
            + "(permit_tls_all_clientcerts, or its fingerprint in relay_clientcerts).")
    static final class Client extends Issue {
        @Option(names = "--email", description = "email subjectAltName (repeatable; an AUTH EXTERNAL identity)")
        List<String> emails = new ArrayList<>();
        @Option(names = "--p12", description = "also write a PKCS#12 file (key, certificate, CA) for mail clients that import one")
        Path p12;
        @Option(names = "--p12-password-file", description = "file whose first line is the PKCS#12 password (default: ask on the terminal)")
        Path passwordFile;

        @Override
        Profile profile() {
            return Profile.CLIENT;
        }

        @Override
        List<String> names() {
            return emails.stream().map(e -> "email:" + e).toList();
        }

        private char[] password;

        @Override
        void prepare() throws Exception {
            if (p12 != null) {
                Path parent = p12.toAbsolutePath().getParent();
                if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--p12 " + p12 + ": no directory " + parent);
                }
                password = Passwords.read(passwordFile, "PKCS#12 password for " + p12);
            }
        }

        @Override
        void written(IssuedCertificate c) throws Exception {
            if (p12 == null) {
                return;
            }
            try {
                c.writePkcs12(p12, password);
            } finally {
                java.util.Arrays.fill(password, '\0');
            }
            spec.commandLine().getOut().println("postern ca: wrote " + p12 + " (PKCS#12)");
        }
    }

    /** A validity of 0 days or less would write a certificate (or CRL) that is expired already. */
    static void positiveDays(CommandLine.Model.CommandSpec spec, int days) {
        if (days < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--days " + days + ": give 1 or more (what is written"
                    + " would be expired already)");
        }
    }

    static BigInteger serial(CommandLine.Model.CommandSpec spec, String hex) {
        try {
            return new BigInteger(hex.replace(":", ""), 16);
        } catch (NumberFormatException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--serial " + hex + ": not a hexadecimal serial number");
        }
    }
}
